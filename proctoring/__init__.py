"""proctoring: a standalone service for proctored and timed online exams."""

__version__ = "0.1.0"

from proctoring.celery import app as celery_app

__all__ = ["celery_app"]
