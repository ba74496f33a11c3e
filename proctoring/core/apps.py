from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "proctoring.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"
