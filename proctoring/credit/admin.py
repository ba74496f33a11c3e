from django.contrib import admin

from proctoring.credit.models import CreditRequirementStatus


@admin.register(CreditRequirementStatus)
class CreditRequirementStatusAdmin(admin.ModelAdmin[CreditRequirementStatus]):
    list_display = ["user", "course_id", "req_namespace", "req_name", "status", "modified"]
    list_filter = ["status", "req_namespace"]
    list_select_related = ["user"]
    search_fields = ["user__username", "course_id", "req_name"]
    raw_id_fields = ["user"]
