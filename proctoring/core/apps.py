from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "proctoring.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from proctoring.core.pg_types import pg_types_install

        pg_types_install()
