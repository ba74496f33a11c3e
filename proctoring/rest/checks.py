"""System checks of the API's settings (``proctoring check``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

MIN_SECRET_BYTES = 32


@register()
def check_jwt_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    secret = settings.PROCTORING_JWT_SECRET
    if secret and len(secret.encode()) < MIN_SECRET_BYTES:
        messages.append(
            Warning(
                f"PROCTORING_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes: HS256 tokens "
                "signed with it can be forged by brute force.",
                hint="Use a random secret of at least 32 bytes, shared with the platform only.",
                id="rest.W001",
            )
        )
    return messages
