from django.apps import AppConfig


class AttemptsConfig(AppConfig):
    name = "proctoring.attempts"
    label = "attempts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from proctoring.allowances.ports import allowance_listener_add
        from proctoring.attempts.time_changes import RunningDeadlinesFollowAllowances

        allowance_listener_add(RunningDeadlinesFollowAllowances())
