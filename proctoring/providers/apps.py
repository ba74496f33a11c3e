from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    """Proctoring providers: the interface, the registry of aliases, the built-in ``null`` and
    ``rest`` providers, what the service tells them and what their callbacks say."""

    name = "proctoring.providers"
    label = "providers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from proctoring.attempts.ports import onboarding_source_set
        from proctoring.providers import checks  # noqa: F401 (registers the system checks)
        from proctoring.providers.onboarding import ProvidersOnboarding

        onboarding_source_set(ProvidersOnboarding())
