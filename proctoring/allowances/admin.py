from django.contrib import admin

from proctoring.allowances.models import Allowance


@admin.register(Allowance)
class AllowanceAdmin(admin.ModelAdmin[Allowance]):
    list_display = ["user", "exam", "key", "value", "modified"]
    list_filter = ["key"]
    list_select_related = ["user", "exam"]
    search_fields = ["user__username", "user__email", "exam__exam_name"]
    raw_id_fields = ["user", "exam"]
