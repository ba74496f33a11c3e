"""Who calls the API: platform service accounts (API keys) and platform users (JWT identities)."""

from django.conf import settings
from django.db import models

from proctoring.core.models import TimeStampedModel


class ApiKey(TimeStampedModel):
    """A platform service account's API key, stored hashed; the key itself is shown once.

    A key authenticates as its service account ``user``, a user with no usable password.

    .. no_pii:
    """

    name = models.CharField(max_length=100, help_text="The service account (platform) it serves.")
    # The public part of the key, shown in lists and used to find the key's row.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    # SHA-256 of the whole key: the key has 256 random bits, so a fast hash is enough.
    key_hash = models.CharField(max_length=64, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        state = " (revoked)" if self.revoked_at else ""
        return f"{self.name} prk_{self.prefix}…{state}"


class PlatformIdentity(TimeStampedModel):
    """Links a platform's user (JWT issuer and subject) to the local user made on first sight.

    ``claims_digest`` is a digest of the claims last applied, so that a request whose claims
    did not change writes nothing. ``course_roles`` is what the identity's tokens have named,
    course by course (``{course_id: role or null}``): a token changes a course's role only
    when it names something else for it (see ``accounts/identities.py``).

    .. pii: links the platform's user id to a local user.
    """

    issuer = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="platform_identities"
    )
    claims_digest = models.CharField(max_length=64, blank=True)
    course_roles = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="unique_platform_identity"),
        ]
        verbose_name_plural = "platform identities"

    def __str__(self) -> str:
        return f"{self.issuer or '-'}:{self.subject} -> user {self.user_id}"
