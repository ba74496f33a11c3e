"""The time budget of an attempt (proctoring/attempts/time_math.py): pure functions, at their
exact boundaries.

No database: every value is given, and "now" is an argument.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from proctoring.attempts import time_math as budget
from proctoring.attempts.time_math import Allowances

START = datetime(2026, 5, 4, 9, 15, 27, 345678, tzinfo=UTC)
NO_ALLOWANCES = Allowances()


def deadline_for(
    *,
    started_at: datetime = START,
    time_limit_mins: int | None,
    allowances: Allowances = NO_ALLOWANCES,
    exam_due_date: datetime | None = None,
    added_seconds: int = 0,
    paused_seconds: int = 0,
) -> datetime | None:
    """The deadline as the service computes it: allowed time, cut at the effective due date."""
    return budget.deadline(
        started_at=started_at,
        allowed=budget.allowed_seconds(time_limit_mins=time_limit_mins, allowances=allowances),
        due_date=budget.effective_due_date(exam_due_date=exam_due_date, allowances=allowances),
        added_seconds=added_seconds,
        paused_seconds=paused_seconds,
    )


# ---------------------------------------------------------------------------------------------
# The deadline and the time left, at the second
# ---------------------------------------------------------------------------------------------


def test_the_deadline_is_the_start_plus_the_time_limit_to_the_microsecond():
    """A 90-minute exam started at 09:15:27.345678 ends at 10:45:27.345678, not on a minute."""
    assert deadline_for(time_limit_mins=90) == START + timedelta(minutes=90)


def test_exactly_at_the_deadline_no_time_is_left_and_it_has_not_passed():
    """At the deadline itself the learner has 0 s left, but the deadline is not yet past."""
    end = deadline_for(time_limit_mins=90)
    assert budget.remaining_seconds(deadline_at=end, now=end) == 0
    assert budget.is_past_deadline(deadline_at=end, now=end) is False


def test_one_second_before_the_deadline_one_second_is_left():
    """One second before the deadline the learner has exactly 1 s and is in time."""
    end = deadline_for(time_limit_mins=90)
    moment = end - timedelta(seconds=1)
    assert budget.remaining_seconds(deadline_at=end, now=moment) == 1
    assert budget.is_past_deadline(deadline_at=end, now=moment) is False


def test_one_second_after_the_deadline_it_has_passed_and_the_time_left_stays_at_zero():
    """One second after the deadline it is past, and the time left never goes below zero."""
    end = deadline_for(time_limit_mins=90)
    moment = end + timedelta(seconds=1)
    assert budget.remaining_seconds(deadline_at=end, now=moment) == 0
    assert budget.is_past_deadline(deadline_at=end, now=moment) is True
    assert budget.remaining_seconds(deadline_at=end, now=end + timedelta(days=3)) == 0


def test_the_time_left_is_rounded_down_to_whole_seconds():
    """1.999 s before the deadline the page shows 1 s, and 0.5 s before it shows 0 s."""
    end = deadline_for(time_limit_mins=90)
    assert budget.remaining_seconds(deadline_at=end, now=end - timedelta(seconds=1.999)) == 1
    assert budget.remaining_seconds(deadline_at=end, now=end - timedelta(seconds=0.5)) == 0


def test_a_microsecond_after_the_deadline_it_has_passed():
    """The comparison is strict and exact: no rounding hides a late microsecond."""
    end = deadline_for(time_limit_mins=90)
    assert budget.is_past_deadline(deadline_at=end, now=end + timedelta(microseconds=1)) is True


def test_the_grace_period_extends_the_deadline_to_the_second():
    """With 5 s of grace: in time at deadline+5 s, late at deadline+6 s (and 1 µs after +5 s)."""
    end = deadline_for(time_limit_mins=90)
    grace = 5
    assert not budget.is_past_deadline(deadline_at=end, now=end, grace_seconds=grace)
    assert not budget.is_past_deadline(
        deadline_at=end, now=end + timedelta(seconds=4), grace_seconds=grace
    )
    assert not budget.is_past_deadline(
        deadline_at=end, now=end + timedelta(seconds=5), grace_seconds=grace
    )
    assert budget.is_past_deadline(
        deadline_at=end, now=end + timedelta(seconds=5, microseconds=1), grace_seconds=grace
    )
    assert budget.is_past_deadline(
        deadline_at=end, now=end + timedelta(seconds=6), grace_seconds=grace
    )


def test_the_grace_period_does_not_add_time_left():
    """The grace only tolerates a late submission; the page still shows 0 s after the
    deadline."""
    end = deadline_for(time_limit_mins=90)
    assert budget.remaining_seconds(deadline_at=end, now=end + timedelta(seconds=3)) == 0


# ---------------------------------------------------------------------------------------------
# Due dates
# ---------------------------------------------------------------------------------------------


def test_the_due_date_cuts_the_deadline_when_it_comes_first():
    """Started 30 minutes before the due date, a 90-minute exam ends at the due date."""
    due = START + timedelta(minutes=30)
    end = deadline_for(time_limit_mins=90, exam_due_date=due)
    assert end == due
    assert budget.remaining_seconds(deadline_at=end, now=START) == 30 * 60


def test_a_due_date_after_the_time_limit_does_not_move_the_deadline():
    """When the time limit ends first, the due date plays no part."""
    due = START + timedelta(hours=5)
    assert deadline_for(time_limit_mins=90, exam_due_date=due) == START + timedelta(minutes=90)


def test_a_due_date_one_second_before_the_time_limit_ends_is_the_deadline():
    """The cut is exact to the second at the boundary."""
    limit_end = START + timedelta(minutes=90)
    assert deadline_for(
        time_limit_mins=90, exam_due_date=limit_end - timedelta(seconds=1)
    ) == limit_end - timedelta(seconds=1)
    assert deadline_for(time_limit_mins=90, exam_due_date=limit_end) == limit_end
    assert (
        deadline_for(time_limit_mins=90, exam_due_date=limit_end + timedelta(seconds=1))
        == limit_end
    )


def test_the_learners_due_date_extension_replaces_the_exams_due_date():
    """A per-learner extended due date lifts the exam's cut."""
    exam_due = START + timedelta(minutes=30)
    extended = START + timedelta(minutes=60)
    allowances = Allowances.from_values({"due_date_extension": extended.isoformat()})
    assert allowances.due_date == extended
    assert budget.effective_due_date(exam_due_date=exam_due, allowances=allowances) == extended
    end = deadline_for(time_limit_mins=90, exam_due_date=exam_due, allowances=allowances)
    assert end == extended


def test_a_due_date_extension_beyond_the_time_limit_leaves_the_time_limit_in_force():
    """An extension later than start + time limit does not give more time than the limit."""
    exam_due = START + timedelta(minutes=30)
    allowances = Allowances.from_values(
        {"due_date_extension": (START + timedelta(days=2)).isoformat()}
    )
    end = deadline_for(time_limit_mins=90, exam_due_date=exam_due, allowances=allowances)
    assert end == START + timedelta(minutes=90)


def test_a_due_date_extension_in_another_offset_is_compared_as_an_instant():
    """An extension written with a -05:00 offset is the same instant as its UTC form."""
    extended_utc = START + timedelta(minutes=45)
    written = extended_utc.astimezone(ZoneInfo("America/New_York")).isoformat()
    allowances = Allowances.from_values({"due_date_extension": written})
    end = deadline_for(
        time_limit_mins=90, exam_due_date=START + timedelta(minutes=10), allowances=allowances
    )
    assert end == extended_utc
    assert budget.remaining_seconds(deadline_at=end, now=START) == 45 * 60


def test_added_and_paused_time_move_the_deadline_beyond_the_due_date():
    """Time staff add and time spent paused are deliberate: they apply after the cut."""
    due = START + timedelta(minutes=30)
    end = deadline_for(time_limit_mins=90, exam_due_date=due, added_seconds=600, paused_seconds=17)
    assert end == due + timedelta(seconds=617)


# ---------------------------------------------------------------------------------------------
# Allowances: additional minutes and multipliers
# ---------------------------------------------------------------------------------------------


def test_without_allowances_the_allowed_time_is_the_time_limit_in_seconds():
    """No allowance: 90 minutes are 5400 s."""
    assert budget.allowed_seconds(time_limit_mins=90, allowances=NO_ALLOWANCES) == 5400


def test_additional_minutes_are_added_to_the_allowed_time():
    """30 additional minutes on a 90-minute exam: 120 minutes, and the deadline follows."""
    allowances = Allowances.from_values({"additional_time_granted": "30"})
    assert allowances.additional_minutes == 30
    assert budget.allowed_seconds(time_limit_mins=90, allowances=allowances) == 7200
    assert deadline_for(time_limit_mins=90, allowances=allowances) == START + timedelta(hours=2)


def test_a_multiplier_of_one_and_a_half_on_45_minutes_gives_4050_seconds():
    """1.5 x 45 min = 67.5 min = 4050 s, kept to the second (not rounded to a minute)."""
    allowances = Allowances.from_values({"time_multiplier": "1.5"})
    assert allowances.multiplier == 1.5
    assert budget.allowed_seconds(time_limit_mins=45, allowances=allowances) == 4050
    assert deadline_for(time_limit_mins=45, allowances=allowances) == START + timedelta(
        seconds=4050
    )


def test_a_multiplier_giving_a_fractional_second_is_rounded_up():
    """1.333 x 1 min = 79.98 s -> 80 s; 1.001 x 45 min = 2702.7 s -> 2703 s."""
    assert (
        budget.allowed_seconds(
            time_limit_mins=1, allowances=Allowances.from_values({"time_multiplier": "1.333"})
        )
        == 80
    )
    assert (
        budget.allowed_seconds(
            time_limit_mins=45, allowances=Allowances.from_values({"time_multiplier": "1.001"})
        )
        == 2703
    )


@pytest.mark.parametrize(
    ("multiplier", "minutes", "seconds"),
    [("1.1", 45, 2970), ("1.2", 50, 3600), ("1.15", 60, 4140), ("2", 90, 10800)],
)
def test_a_multiplier_giving_a_whole_second_is_not_pushed_up_by_float_error(
    multiplier, minutes, seconds
):
    """1.1 x 2700 is 2970.0000000000005 in floating point: still 2970 s, not 2971."""
    allowances = Allowances.from_values({"time_multiplier": multiplier})
    assert budget.allowed_seconds(time_limit_mins=minutes, allowances=allowances) == seconds


def test_a_multiplier_and_additional_minutes_apply_multiplier_first():
    """base x multiplier + extra: 1.5 x 45 min + 10 min = 4050 s + 600 s = 4650 s (not
    1.5 x 55 min = 4950 s)."""
    allowances = Allowances.from_values({"time_multiplier": "1.5", "additional_time_granted": "10"})
    assert budget.allowed_seconds(time_limit_mins=45, allowances=allowances) == 4650
    assert deadline_for(time_limit_mins=45, allowances=allowances) == START + timedelta(
        seconds=4650
    )


def test_the_due_date_still_cuts_a_deadline_lengthened_by_allowances():
    """Allowances lengthen the time, not the due date: the cut applies to the total."""
    due = START + timedelta(minutes=100)
    allowances = Allowances.from_values({"time_multiplier": "2", "additional_time_granted": "15"})
    assert deadline_for(time_limit_mins=90, allowances=allowances, exam_due_date=due) == due


# ---------------------------------------------------------------------------------------------
# No time limit
# ---------------------------------------------------------------------------------------------


def test_without_a_time_limit_or_due_date_there_is_no_deadline():
    """An untimed exam with no due date: no allowed time, no deadline, no time left, never
    late, no warnings."""
    assert budget.allowed_seconds(time_limit_mins=None, allowances=NO_ALLOWANCES) is None
    end = deadline_for(time_limit_mins=None)
    assert end is None
    assert budget.remaining_seconds(deadline_at=None, now=START) is None
    assert budget.is_past_deadline(deadline_at=None, now=START + timedelta(days=999)) is False
    assert budget.warning_thresholds(None) is None


def test_without_a_time_limit_the_due_date_is_the_deadline():
    """An untimed exam with a due date ends at the due date, to the second."""
    due = START + timedelta(hours=3, seconds=7)
    end = deadline_for(time_limit_mins=None, exam_due_date=due)
    assert end == due
    assert budget.remaining_seconds(deadline_at=end, now=START) == 3 * 3600 + 7


def test_without_a_time_limit_allowances_give_no_allowed_time():
    """Additional minutes and a multiplier do not turn an untimed exam into a timed one."""
    allowances = Allowances.from_values({"time_multiplier": "2", "additional_time_granted": "30"})
    assert budget.allowed_seconds(time_limit_mins=None, allowances=allowances) is None
    assert deadline_for(time_limit_mins=None, allowances=allowances) is None


def test_without_a_time_limit_the_learners_extension_is_the_deadline():
    """An untimed exam with an extended due date for this learner ends at the extension."""
    extended = START + timedelta(days=1)
    allowances = Allowances.from_values({"due_date_extension": extended.isoformat()})
    assert (
        deadline_for(
            time_limit_mins=None, exam_due_date=START + timedelta(hours=1), allowances=allowances
        )
        == extended
    )


# ---------------------------------------------------------------------------------------------
# Pauses
# ---------------------------------------------------------------------------------------------


def test_while_paused_the_time_left_is_frozen_at_the_pause():
    """Paused with 600 s left: an hour later the learner still has 600 s."""
    end = START + timedelta(minutes=90)
    paused_at = end - timedelta(seconds=600)
    assert budget.remaining_seconds(deadline_at=end, now=paused_at, paused_at=paused_at) == 600
    for later in (1, 599, 600, 601, 3600):
        assert (
            budget.remaining_seconds(
                deadline_at=end, now=paused_at + timedelta(seconds=later), paused_at=paused_at
            )
            == 600
        )


def test_after_a_resume_the_paused_seconds_move_the_deadline():
    """A 45-second pause moves the deadline by 45 s: the same time is left after it."""
    before = deadline_for(time_limit_mins=90)
    after = deadline_for(time_limit_mins=90, paused_seconds=45)
    assert after - before == timedelta(seconds=45)
    paused_at = START + timedelta(minutes=10)
    resumed_at = paused_at + timedelta(seconds=45)
    assert budget.remaining_seconds(deadline_at=before, now=paused_at) == budget.remaining_seconds(
        deadline_at=after, now=resumed_at
    )


# ---------------------------------------------------------------------------------------------
# Daylight saving time in the server's time zone
# ---------------------------------------------------------------------------------------------

NEW_YORK = ZoneInfo("America/New_York")
SPRING_FORWARD_START = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)  # 01:30 EST, before 02:00 -> 03:00
FALL_BACK_START = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, before 02:00 -> 01:00


@pytest.mark.parametrize("start_utc", [SPRING_FORWARD_START, FALL_BACK_START])
def test_across_a_dst_change_a_60_minute_exam_lasts_3600_seconds_from_a_utc_start(
    settings, start_utc
):
    """With the server in New York, an exam started (as the service stores it, in UTC) just
    before a DST change ends exactly 3600 s later."""
    settings.TIME_ZONE = "America/New_York"
    assert timezone.localtime(start_utc).strftime("%H:%M") == "01:30"
    end = deadline_for(started_at=start_utc, time_limit_mins=60)
    assert end is not None
    assert (end - start_utc).total_seconds() == 3600
    assert end.astimezone(UTC) == start_utc + timedelta(hours=1)
    assert budget.remaining_seconds(deadline_at=end, now=start_utc) == 3600
    assert budget.remaining_seconds(deadline_at=end, now=start_utc + timedelta(minutes=59)) == 60


@pytest.mark.parametrize(
    ("start_utc", "local_end"),
    [
        # 01:30 EST + 1 h = 03:30 EDT (02:00 to 03:00 does not exist that night).
        (SPRING_FORWARD_START, "2026-03-08 03:30 EDT"),
        # 01:30 EDT + 1 h = 01:30 EST (01:00 to 02:00 happens twice that night).
        (FALL_BACK_START, "2026-11-01 01:30 EST"),
    ],
)
def test_across_a_dst_change_a_60_minute_exam_lasts_3600_seconds_from_a_local_start(
    settings, start_utc, local_end
):
    """The same with the start given in the server's local time (as ``localtime()`` returns
    it): the budget counts elapsed seconds, not wall-clock hours."""
    settings.TIME_ZONE = "America/New_York"
    local_start = timezone.localtime(start_utc)
    assert local_start.strftime("%H:%M") == "01:30"
    end = deadline_for(started_at=local_start, time_limit_mins=60)
    assert end is not None
    assert end.astimezone(UTC) == start_utc + timedelta(seconds=3600)
    assert timezone.localtime(end).strftime("%Y-%m-%d %H:%M %Z") == local_end
    assert budget.remaining_seconds(deadline_at=end, now=local_start) == 3600
    half_way = timezone.localtime(start_utc + timedelta(minutes=30))
    assert budget.remaining_seconds(deadline_at=end, now=half_way) == 1800
    just_before = timezone.localtime(start_utc + timedelta(seconds=3599))
    just_after = timezone.localtime(start_utc + timedelta(seconds=3601))
    assert budget.is_past_deadline(deadline_at=end, now=just_before) is False
    assert budget.is_past_deadline(deadline_at=end, now=just_after) is True


def test_across_the_fall_back_the_due_date_cut_compares_instants(settings):
    """A due date at 01:15 EST (the second 01:15 of the night) comes after a 01:30 EDT start:
    the learner gets until that due date, 45 minutes later."""
    settings.TIME_ZONE = "America/New_York"
    local_start = timezone.localtime(FALL_BACK_START)  # 01:30 EDT = 05:30 UTC
    due = datetime(2026, 11, 1, 6, 15, tzinfo=UTC).astimezone(NEW_YORK)  # 01:15 EST
    assert due.fold == 1
    end = deadline_for(started_at=local_start, time_limit_mins=60, exam_due_date=due)
    assert end is not None
    assert end.astimezone(UTC) == datetime(2026, 11, 1, 6, 15, tzinfo=UTC)
    assert budget.remaining_seconds(deadline_at=end, now=local_start) == 45 * 60


# ---------------------------------------------------------------------------------------------
# Warnings
# ---------------------------------------------------------------------------------------------


def test_the_warnings_come_at_20_and_5_percent_of_the_learners_own_time():
    """90 minutes: warn at 1080 s and at 270 s left."""
    assert budget.warning_thresholds(5400) == (1080, 270)


def test_the_warnings_follow_the_allowances():
    """With 1.5 x 45 min (4050 s), the warnings come at 810 s and 202 s left (rounded down)."""
    allowed = budget.allowed_seconds(
        time_limit_mins=45, allowances=Allowances.from_values({"time_multiplier": "1.5"})
    )
    assert budget.warning_thresholds(allowed) == (810, 202)


def test_the_warnings_of_a_short_exam_are_whole_seconds():
    """A one-minute exam warns at 12 s and 3 s."""
    assert budget.warning_thresholds(60) == (12, 3)


# ---------------------------------------------------------------------------------------------
# Parsing stored allowance values
# ---------------------------------------------------------------------------------------------


def test_no_allowance_values_give_no_allowances():
    """An empty mapping: no extra minutes, multiplier 1, no extended due date."""
    assert Allowances.from_values({}) == Allowances(
        additional_minutes=0, multiplier=1.0, due_date=None
    )


def test_allowance_values_with_surrounding_spaces_are_read():
    """ " 30 " minutes and " 1.5 " are read as 30 and 1.5."""
    allowances = Allowances.from_values(
        {"additional_time_granted": " 30 ", "time_multiplier": " 1.5 "}
    )
    assert allowances == Allowances(additional_minutes=30, multiplier=1.5)


@pytest.mark.parametrize(
    "value", ["", "   ", "abc", "-5", "+5", "1.5", "1e3", "3O", "\u0663\u0660", "10 minutes"]
)
def test_additional_minutes_that_are_not_a_whole_number_are_ignored(value):
    """Negative, fractional, non-ASCII digits or text: the extra minutes count as 0."""
    allowances = Allowances.from_values({"additional_time_granted": value})
    assert allowances.additional_minutes == 0
    assert budget.allowed_seconds(time_limit_mins=10, allowances=allowances) == 600


@pytest.mark.parametrize(
    "value", ["", "abc", "0", "-1.5", "-0", "nan", "NaN", "inf", "-inf", "1e999", "1,5"]
)
def test_a_multiplier_that_is_not_a_positive_finite_number_is_ignored(value):
    """Zero, negative, NaN, infinite or text: the multiplier counts as 1."""
    allowances = Allowances.from_values({"time_multiplier": value})
    assert allowances.multiplier == 1.0
    assert budget.allowed_seconds(time_limit_mins=10, allowances=allowances) == 600


@pytest.mark.parametrize(
    "value", ["", "tomorrow", "2026-13-01T00:00:00+00:00", "2026-05-04T10:00:00", "2026-05-04"]
)
def test_a_due_date_extension_that_is_not_an_aware_datetime_is_ignored(value):
    """Unparsable dates, and dates without a time zone (ambiguous), count as no extension."""
    allowances = Allowances.from_values({"due_date_extension": value})
    assert allowances.due_date is None
    due = START + timedelta(minutes=30)
    assert budget.effective_due_date(exam_due_date=due, allowances=allowances) == due


def test_a_bad_value_does_not_spoil_the_good_ones():
    """One unparsable allowance is ignored; the others still apply."""
    allowances = Allowances.from_values(
        {
            "additional_time_granted": "lots",
            "time_multiplier": "2",
            "due_date_extension": "soon",
        }
    )
    assert allowances == Allowances(additional_minutes=0, multiplier=2.0, due_date=None)
    assert budget.allowed_seconds(time_limit_mins=30, allowances=allowances) == 3600


def test_unknown_allowance_keys_are_ignored():
    """A review-policy exception or an unknown key has no effect on the clock."""
    allowances = Allowances.from_values(
        {"review_policy_exception": "allow notes", "something_else": "42"}
    )
    assert allowances == NO_ALLOWANCES
