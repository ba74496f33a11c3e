from tests.attempts.conftest import clock  # noqa: F401 (the fake clock, shared)
