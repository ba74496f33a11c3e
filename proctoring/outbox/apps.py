from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """Events to the platforms: the transactional outbox, webhook subscriptions, delivery."""

    name = "proctoring.outbox"
    label = "outbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from proctoring.core.events import event_sink_set
        from proctoring.outbox.sink import OutboxSink

        event_sink_set(OutboxSink())
