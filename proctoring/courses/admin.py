from django.contrib import admin

from proctoring.courses.models import Course, CourseRole


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin[Course]):
    list_display = ["course_id", "display_name", "provider", "modified"]
    search_fields = ["course_id", "display_name"]


@admin.register(CourseRole)
class CourseRoleAdmin(admin.ModelAdmin[CourseRole]):
    list_display = ["user", "course", "role", "modified"]
    list_filter = ["role"]
    list_select_related = ["user", "course"]
    search_fields = ["user__username", "user__email", "course__course_id"]
    raw_id_fields = ["user"]
