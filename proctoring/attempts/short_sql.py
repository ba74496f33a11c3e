"""A compiled-once PostgreSQL statement written shorter, meaning the same.

psycopg parses a statement's text for its placeholders at every execution, and keeps that
parse only for statements of at most ``MAX_CACHED_STATEMENT_LENGTH`` bytes (4,096 in psycopg
3.3). The ORM's text of a start's lock (its exam, course, user and access rules joined, the
learner's allowances sub-selected) was 6,939 bytes: parsed again at every start, about 0.4 ms.
The ORM writes every column as ``"table"."column"``; here the same statement is rewritten
with what PostgreSQL's grammar accepts as the same query:

- the outer query's tables, named by their own names, get short aliases (``t0``, ``t1``...);
- a column after its table's alias loses its quotes when it is a plain lower-case name (after
  a dot any name is a column label to PostgreSQL, keywords included);
- a table name loses its quotes when it is a plain ``app_model`` name, which is no keyword;
- a column label (``AS "name"``) that nothing else names is dropped (the rows are read by
  position);
- ``INNER JOIN`` is written ``JOIN``, ``LEFT OUTER JOIN`` ``LEFT JOIN``, ``ASC`` is left out,
  ``=`` loses its spaces, and the parentheses around one column compared or around a
  join's condition go.

The rewriting works on the statement's text, so it only runs on a statement with no literal
and no comment (the ORM passes every value as a parameter): anything else is kept as the ORM
wrote it.
"""

from __future__ import annotations

import re

# Names with an underscore that PostgreSQL (16) takes as keywords: never unquoted.
_KEYWORD_PREFIXES = ("current_", "session_", "system_", "json_", "merge_", "xml")
_PLAIN = r"[a-z][a-z0-9]*_[a-z0-9_]+"
_DECLARED = re.compile(
    rf'(?P<verb>FROM|JOIN) "(?P<table>{_PLAIN})"'
    r"(?= ON | INNER | LEFT | WHERE | ORDER | LIMIT | FOR | GROUP |\)|$)"
)
_COLUMN = re.compile(r'\."([a-z_][a-z0-9_]*)"')
_TABLE = re.compile(rf'(?<=FROM |JOIN )"({_PLAIN})"')
_LABEL = re.compile(r' AS "([^"]+)"')
_QUOTED = re.compile(r'( AS )?"([^"]*)"')
_ASCENDING = re.compile(r" ASC\b")
_COMPARED = re.compile(r"=\(([A-Za-z]\w*\.\w+)\)")  # =(t0.exam_id)
_JOINED_ON = re.compile(r" ON \(([^()]*)\)([ )]|$)")  # ON (t0.exam_id=t1.id)


def sql_shortened(sql: str) -> str:
    """``sql`` (a PostgreSQL statement compiled by the ORM) written shorter, or as it is when
    it holds a literal or a comment, or names a table twice in its outer query."""
    if "'" in sql or "--" in sql or "/*" in sql or "$" in sql:
        return sql
    tables = [match["table"] for match in _DECLARED.finditer(sql)]
    if len(set(tables)) != len(tables):
        return sql
    for number, table in enumerate(tables):
        alias = f"t{number}"
        sql = sql.replace(f'"{table}".', f"{alias}.")
        sql = re.sub(rf'(FROM|JOIN) "{table}"(?=[ )]|$)(?! [A-Z]\d)', rf'\1 "{table}" {alias}', sql)
        sql = sql.replace(f'FOR UPDATE OF "{table}"', f"FOR UPDATE OF {alias}")
    sql = _COLUMN.sub(r".\1", sql)
    sql = _TABLE.sub(lambda m: m[1] if not m[1].startswith(_KEYWORD_PREFIXES) else m[0], sql)
    named = {match[2] for match in _QUOTED.finditer(sql) if not match[1]}
    sql = _LABEL.sub(lambda m: m[0] if m[1] in named else "", sql)
    sql = sql.replace(" INNER JOIN ", " JOIN ").replace(" LEFT OUTER JOIN ", " LEFT JOIN ")
    sql = _ASCENDING.sub("", sql).replace(" = ", "=")
    sql = _COMPARED.sub(r"=\1", sql)
    return _JOINED_ON.sub(r" ON \1\2", sql)
