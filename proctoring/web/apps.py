from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web UI for learners and course staff (docs/web.md): an interface over the domain."""

    name = "proctoring.web"
    label = "web"
    verbose_name = "Web UI"
    default_auto_field = "django.db.models.BigAutoField"
