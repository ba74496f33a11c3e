#!/usr/bin/env python
"""Django's manage.py, for habit; the ``proctoring`` command does the same."""

from proctoring.cli import main

if __name__ == "__main__":
    main()
