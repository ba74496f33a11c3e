from django.contrib import admin

from proctoring.exams.models import Exam


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin[Exam]):
    list_display = [
        "id",
        "exam_name",
        "course",
        "content_id",
        "time_limit_mins",
        "is_proctored",
        "is_practice_exam",
        "is_onboarding",
        "is_active",
        "due_date",
    ]
    list_filter = ["is_proctored", "is_practice_exam", "is_onboarding", "is_active"]
    list_select_related = ["course"]
    search_fields = ["exam_name", "content_id", "course__course_id"]

    def has_delete_permission(self, request: object, obj: Exam | None = None) -> bool:
        return False  # exams are deactivated, never deleted
