from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "proctoring.access"
    label = "access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from proctoring.access.rules import gate_logs_forget
        from proctoring.accounts.retirement import retirement_listener_add

        retirement_listener_add(gate_logs_forget)
