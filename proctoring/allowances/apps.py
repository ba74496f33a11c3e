from django.apps import AppConfig


class AllowancesConfig(AppConfig):
    name = "proctoring.allowances"
    label = "allowances"
    default_auto_field = "django.db.models.BigAutoField"
