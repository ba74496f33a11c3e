from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "proctoring.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from proctoring.core.pg_types import fast_tz_loader_install

        fast_tz_loader_install()
