"""short_sql.py: the ORM's PostgreSQL text written shorter, the same query."""

from proctoring.attempts.short_sql import sql_shortened


def test_outer_tables_get_aliases_and_sub_selects_keep_theirs():
    sql = (
        'SELECT "a_attempt"."id", (SELECT U0."value" AS "value" FROM "a_allowance" U0 '
        'WHERE U0."user_id" = ("a_attempt"."user_id") LIMIT 1) AS "extra", "a_exam"."group" '
        'FROM "a_attempt" INNER JOIN "a_exam" ON ("a_attempt"."exam_id" = "a_exam"."id") '
        'WHERE "a_attempt"."id" = %s ORDER BY "a_attempt"."id" ASC LIMIT 1 '
        'FOR UPDATE OF "a_attempt"'
    )
    assert sql_shortened(sql) == (
        "SELECT t0.id, (SELECT U0.value FROM a_allowance U0 WHERE U0.user_id=t0.user_id "
        "LIMIT 1), t1.group FROM a_attempt t0 JOIN a_exam t1 ON t0.exam_id=t1.id "
        "WHERE t0.id=%s ORDER BY t0.id LIMIT 1 FOR UPDATE OF t0"
    )


def test_a_label_that_is_named_elsewhere_stays():
    sql = 'SELECT "a_b"."x" AS "n" FROM "a_b" ORDER BY "n" ASC'
    assert sql_shortened(sql) == 'SELECT t0.x AS "n" FROM a_b t0 ORDER BY "n"'


def test_a_statement_with_a_literal_or_a_table_twice_is_kept():
    literal = 'SELECT "a_b"."x" FROM "a_b" WHERE "a_b"."x" = \'a = b\''
    assert sql_shortened(literal) == literal
    twice = 'SELECT "a_b"."x" FROM "a_b" WHERE EXISTS(SELECT 1 FROM "a_b" WHERE "a_b"."x" = 1)'
    assert sql_shortened(twice) == twice


def test_keywords_and_upper_case_names_stay_quoted_as_tables():
    sql = 'SELECT "current_user"."x" FROM "current_user" INNER JOIN "B_c" ON ("B_c"."x" = 1)'
    shortened = sql_shortened(sql)
    assert 'FROM "current_user" t0' in shortened and '"B_c"' in shortened
