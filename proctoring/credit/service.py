"""The local default of the ``credit`` runtime service: a record in the database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.db import connection
from django.db.models import Field

from proctoring.core.clock import now
from proctoring.courses.models import Course
from proctoring.credit.models import CreditRequirementStatus
from proctoring.credit.ports import CreditUpdate

UPSERT_CHUNK = 500  # rows per statement: 8 parameters a row stay under SQLite's limit
_COLUMNS = (
    "user",
    "course_id",
    "req_namespace",
    "req_name",
    "status",
    "reason",
    "created",
    "modified",
)


def _upsert(rows: list[CreditUpdate], *, reason: dict[str, Any]) -> None:
    model = CreditRequirementStatus
    fields = [cast("Field[Any, Any]", model._meta.get_field(name)) for name in _COLUMNS]
    moment = now()
    params: list[Any] = []
    for row in rows:
        changed_at = row.changed_at or moment
        values = (
            row.user_id,
            row.course_key_or_id,
            row.req_namespace,
            row.req_name,
            row.status,
            reason,
            changed_at,
            changed_at,
        )
        params += [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, values, strict=True)
        ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.get_attname_column()[1] or "") for field in fields)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    key = ", ".join(quote(name) for name in ("user_id", "course_id", "req_namespace", "req_name"))
    changed = ", ".join(
        f"{quote(name)} = excluded.{quote(name)}" for name in ("status", "reason", "modified")
    )
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {placeholders} "
            f"ON CONFLICT ({key}) DO UPDATE SET {changed} "
            # Delivered after their commits, two updates may arrive out of order: the change
            # that happened last wins.
            f"WHERE {table}.{quote('modified')} <= excluded.{quote('modified')}",
            params,
        )


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
        """Many updates in one statement of its own (it runs after the status change's
        commit): an ``INSERT ... ON CONFLICT DO UPDATE``, which SQLite and PostgreSQL both
        speak, and which needs no transaction around it. A row keeps the status of the latest
        change (``changed_at``), whatever order the updates arrive in."""
        latest = {
            (update.user_id, update.course_key_or_id, update.req_namespace, update.req_name): update
            for update in updates
        }
        rows = list(latest.values())
        # As many rows a statement as the database takes parameters (Django's own batch size).
        size = max(1, connection.ops.bulk_batch_size(list(_COLUMNS), rows))
        for start in range(0, len(rows), size):
            _upsert(rows[start : start + size], reason=reason or {})

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
