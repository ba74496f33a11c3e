"""The service's settings, with the one override tests need."""

from proctoring.settings import *  # noqa: F403

# The in-process runner would run the expiry job on its own schedule during tests; the tests
# that need it start it themselves.
PROCTORING_JOBS = "off"

# Quiet tests: the request lines of every test client call are not printed (tests that check
# them turn them on).
LOGGING["loggers"]["proctoring.requests"] = {"level": "WARNING"}  # noqa: F405
