"""What operations keep in the database: the last runs of the background jobs."""

from django.db import models


class JobHeartbeat(models.Model):
    """The last run of one job of the registry (``proctoring/jobs.py``), whichever process ran it.

    Written after each run by the in-process runner and by the Celery task, so readiness and
    metrics see the job's health across processes and machines.

    .. no_pii:
    """

    job = models.CharField(max_length=100, unique=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_duration_seconds = models.FloatField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["job"]

    def __str__(self) -> str:
        return f"{self.job}: last success {self.last_success_at or 'never'}"
