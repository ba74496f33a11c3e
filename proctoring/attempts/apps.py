from django.apps import AppConfig


class AttemptsConfig(AppConfig):
    name = "proctoring.attempts"
    label = "attempts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The reference's proxy models (ProctoredExam in "exams", ProctoredExamStudentAttempt
        # here) live in proctoring.models, outside any app: register them in every process,
        # so makemigrations always sees them.
        import proctoring.models  # noqa: F401
