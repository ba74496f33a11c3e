"""proctoring: a standalone service for proctored and timed online exams."""

__version__ = "0.1.0"
