"""What the platform keeps for LTI 1.3 Proctoring Services: its signing keys, the tools it
trusts, each launch of a proctored attempt (the launch state lives here, not in a cache, so
a cache flush mid-flow breaks nothing), the tokens it issued, the one-time values it has seen
(nonces and ``jti``, so a replay is refused), and the links it hands tools to register.
"""

from __future__ import annotations

from django.db import models


class LtiKey(models.Model):
    """One RSA key pair of the platform. ``next`` keys are published before use, the
    ``active`` one signs, ``retired`` ones stay published until ``retired_at`` + the grace
    period (tokens signed before the rotation still verify), then leave the JWKS.

    The private key is stored in the database as PKCS#8 PEM, encrypted with a key derived from
    ``SECRET_KEY`` (keys.py): a copy of the database alone does not sign tokens.

    .. no_pii:
    """

    class State(models.TextChoices):
        NEXT = "next", "Next (published, not signing yet)"
        ACTIVE = "active", "Active (signs)"
        RETIRED = "retired", "Retired (published until the grace period ends)"

    kid = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=8, choices=State.choices)
    private_pem = models.BinaryField()
    public_jwk = models.JSONField()
    created = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kid} ({self.state})"


class LtiTool(models.Model):
    """An LTI proctoring tool this platform trusts: its client id and deployment, where its
    logins start and its launches land, the redirect URIs it may ask for, how its signatures
    are checked (its JWKS URL, or one public key), and the assessment-control actions it may
    use.

    .. no_pii:
    """

    name = models.CharField(max_length=200)
    client_id = models.CharField(max_length=255, unique=True)
    deployment_id = models.CharField(max_length=255)
    login_url = models.URLField(max_length=1000)
    launch_url = models.URLField(max_length=1000)
    redirect_uris = models.JSONField(default=list)
    jwks_url = models.URLField(max_length=1000, blank=True)
    public_jwk = models.JSONField(null=True, blank=True)
    actions = models.JSONField(default=list)
    # The tool's JWKS as last fetched (refreshed on an unknown kid), and when.
    jwks_cache = models.JSONField(null=True, blank=True, editable=False)
    jwks_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    registered_dynamically = models.BooleanField(default=False)
    created = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class LtiLaunch(models.Model):
    """One launch of a proctored attempt at its tool: the one-time message hint the OIDC login
    carries, the session data the start of the assessment must echo, and what happened.

    .. no_pii:
    """

    class Kind(models.TextChoices):
        START = "start", "LtiStartProctoring"
        END = "end", "LtiEndAssessment"

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.START)
    tool = models.ForeignKey(LtiTool, on_delete=models.CASCADE, related_name="launches")
    attempt = models.ForeignKey(
        "attempts.Attempt", on_delete=models.CASCADE, related_name="lti_launches"
    )
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    # What the tool knows the learner and the attempt by (the ACS names them so).
    subject = models.CharField(max_length=64)
    resource_link_id = models.CharField(max_length=64)
    attempt_number = models.PositiveIntegerField()
    message_hint = models.CharField(max_length=64, unique=True)
    hint_expires_at = models.DateTimeField()
    hint_used_at = models.DateTimeField(null=True, blank=True)
    session_data = models.CharField(max_length=64, unique=True, null=True, blank=True)
    session_expires_at = models.DateTimeField(null=True, blank=True)
    # The start of the assessment: verified (then the learner's browser lands with this
    # one-time token), and when it landed.
    landing_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    assessment_verified_at = models.DateTimeField(null=True, blank=True)
    assessment_started_at = models.DateTimeField(null=True, blank=True)
    end_assessment_return = models.BooleanField(default=False)
    end_assessment_sent_at = models.DateTimeField(null=True, blank=True)
    terminated_at = models.DateTimeField(null=True, blank=True)
    # The total extra time (minutes) the tool granted through ``update``.
    extra_minutes = models.PositiveIntegerField(default=0)
    created = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["tool", "subject", "resource_link_id", "attempt_number"],
                name="lti_launch_acs_lookup",
            )
        ]

    def __str__(self) -> str:
        return f"launch {self.pk} of attempt {self.attempt_id} at {self.tool_id}"


class LtiSeenValue(models.Model):
    """A one-time value a tool sent (a start-assessment nonce, a client assertion's ``jti``),
    kept until it expires: the unique constraint refuses its replay, even in a race.

    .. no_pii:
    """

    tool = models.ForeignKey(LtiTool, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    value = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tool", "kind", "value"], name="lti_seen_value_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of tool {self.tool_id}"


class LtiAccessToken(models.Model):
    """A service token issued to a tool (its SHA-256, never the token), with its scopes.

    .. no_pii:
    """

    tool = models.ForeignKey(LtiTool, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    created = models.DateTimeField()

    def __str__(self) -> str:
        return f"token of tool {self.tool_id} until {self.expires_at.isoformat()}"


class LtiRegistrationLink(models.Model):
    """A dynamic registration an administrator started: the tool presents the token (its
    SHA-256 is kept) once, before it expires, to register itself.

    .. no_pii:
    """

    digest = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    tool = models.ForeignKey(
        LtiTool, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField()

    def __str__(self) -> str:
        return f"registration link {self.pk} ({self.name or 'unnamed'})"
