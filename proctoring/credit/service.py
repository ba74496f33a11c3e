"""The local default of the ``credit`` runtime service: a record in the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from proctoring.core.clock import now
from proctoring.courses.models import Course
from proctoring.credit.models import CreditRequirementStatus


@dataclass(frozen=True)
class CreditUpdate:
    """One call's worth of ``set_credit_requirement_status`` arguments."""

    user_id: int
    course_key_or_id: str
    req_namespace: str
    req_name: str
    status: str


class LocalCreditService:
    """Keeps credit requirement statuses in the ``CreditRequirementStatus`` table."""

    def set_credit_requirement_status(
        self,
        user_id: int,
        course_key_or_id: str,
        req_namespace: str,
        req_name: str,
        status: str = "satisfied",
        reason: dict[str, Any] | None = None,
    ) -> None:
        self.set_credit_requirement_statuses(
            [CreditUpdate(user_id, str(course_key_or_id), req_namespace, req_name, status)],
            reason=reason,
        )

    def set_credit_requirement_statuses(
        self, updates: Iterable[CreditUpdate], reason: dict[str, Any] | None = None
    ) -> None:
        """Many updates in one upsert (used by the cascade of declines)."""
        moment = now()
        rows = [
            CreditRequirementStatus(
                user_id=update.user_id,
                course_id=update.course_key_or_id,
                req_namespace=update.req_namespace,
                req_name=update.req_name,
                status=update.status,
                reason=reason or {},
                created=moment,
                modified=moment,
            )
            for update in updates
        ]
        if rows:
            CreditRequirementStatus.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["user", "course_id", "req_namespace", "req_name"],
                update_fields=["status", "reason", "modified"],
            )

    def remove_credit_requirement_status(
        self, user_id: int, course_key_or_id: str, req_namespace: str, req_name: str
    ) -> None:
        CreditRequirementStatus.objects.filter(
            user_id=user_id,
            course_id=str(course_key_or_id),
            req_namespace=req_namespace,
            req_name=req_name,
        ).delete()

    def get_credit_state(
        self, user_id: int, course_key_or_id: str, return_course_name: bool = False
    ) -> dict[str, Any]:
        course_id = str(course_key_or_id)
        statuses = CreditRequirementStatus.objects.filter(
            user_id=user_id, course_id=course_id
        ).order_by("req_namespace", "req_name")
        state: dict[str, Any] = {
            "is_credit_course": True,
            "credit_requirement_status": [
                {
                    "namespace": row.req_namespace,
                    "name": row.req_name,
                    "status": row.status,
                    "status_date": row.modified,
                }
                for row in statuses
            ],
        }
        if return_course_name:
            name = (
                Course.objects.filter(course_id=course_id)
                .values_list("display_name", flat=True)
                .first()
            )
            state["course_name"] = name or course_id
        return state
