from django.apps import AppConfig


class AttemptsConfig(AppConfig):
    name = "proctoring.attempts"
    label = "attempts"
    default_auto_field = "django.db.models.BigAutoField"
