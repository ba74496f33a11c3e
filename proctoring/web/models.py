"""What the web UI keeps: the platform launch tokens already used, so each is used once."""

from django.db import models


class UsedLaunchToken(models.Model):
    """A platform launch token (its issuer and ``jti``) that opened a session, kept until it
    expires: a second launch with it is a replay.

    .. no_pii:
    """

    issuer = models.CharField(max_length=255, blank=True)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "jti"], name="unique_launch_token"),
        ]

    def __str__(self) -> str:
        return f"launch token {self.jti} of {self.issuer or '-'}"
