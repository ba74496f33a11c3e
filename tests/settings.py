"""The service's settings, with the one override tests need."""

from proctoring.settings import *  # noqa: F403

# The in-process runner would run the expiry job on its own schedule during tests; the tests
# that need it start it themselves.
PROCTORING_JOBS = "off"

# The tests roll their transactions back, and PostgreSQL's sequences do not: every test leaves
# gaps in the event ids behind. Outside the tests a gap waits PROCTORING_OUTBOX_GAP_SECONDS for
# a transaction that may still commit; tests/outbox/test_outbox.py tests that wait with its own
# value.
PROCTORING_OUTBOX_GAP_SECONDS = 0

# Quiet tests: the request lines of every test client call are not printed (tests that check
# them turn them on).
LOGGING["loggers"]["proctoring.requests"] = {"level": "WARNING"}  # noqa: F405
