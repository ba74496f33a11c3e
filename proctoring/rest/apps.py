from django.apps import AppConfig


class RestConfig(AppConfig):
    name = "proctoring.rest"
    label = "rest"
    verbose_name = "REST API"

    def ready(self) -> None:
        # Registers the OpenAPI extensions of our authentication classes, and the cache reset.
        from proctoring.rest import authentication, checks, schema  # noqa: F401
