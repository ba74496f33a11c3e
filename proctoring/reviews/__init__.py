"""Reviews of proctored attempts: the provider's verdicts, the staff's, and what they do to the
attempt (rules.py), recorded through the one transition (services.py)."""
