"""Allowances of a course's learners (course staff)."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.accounts.selectors import user_get_by_username
from proctoring.allowances.models import Allowance
from proctoring.allowances.selectors import allowance_list
from proctoring.allowances.services import (
    allowance_grant,
    allowance_grant_bulk,
    allowance_revoke,
)
from proctoring.exams.selectors import exam_get_in_course
from proctoring.rest.pagination import PageNumberPagination, paginated
from proctoring.rest.permissions import IsCourseStaff
from proctoring.rest.schema import errors
from proctoring.rest.v1.allowance_values import validated, value_field
from proctoring.rest.v1.common import (
    JsonCharField,
    JsonChoiceField,
    JsonIntegerField,
    PageQuery,
    StrictSerializer,
    user_id_of,
)

MAX_BULK_EXAMS = 100
MAX_BULK_USERS = 1000


class AllowanceOutput(serializers.Serializer[Allowance]):
    id = serializers.IntegerField()
    exam_id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    key = serializers.ChoiceField(choices=Allowance.Key.choices)
    value = serializers.CharField()
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()


class AllowanceListApi(APIView):
    """The allowances of the course's exams, filtered by exam and user."""

    permission_classes = [IsCourseStaff]

    class FilterSerializer(PageQuery):
        exam_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
        username = serializers.CharField(max_length=150, min_length=1, required=False)

    @extend_schema(
        operation_id="allowance_list",
        parameters=[FilterSerializer],
        responses={
            200: paginated("PaginatedAllowanceList", AllowanceOutput(many=True)),
            **errors(404),
        },
    )
    def get(self, request: Request, course_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        user_id = user_get_by_username(username=data["username"]).pk if "username" in data else None
        allowances = allowance_list(
            course_id=course_id, exam_id=data.get("exam_id"), user_id=user_id
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(allowances, request, view=self)
        return paginator.get_paginated_response(AllowanceOutput(cast(Any, page), many=True).data)


def _camel(key: str) -> str:
    return "".join(word.capitalize() for word in key.split("_"))


def _allowance_detail_view(key: str) -> type[APIView]:
    """The view of one allowance key: its own path, so its value has its own schema."""

    class AllowanceDetailApi(APIView):
        permission_classes = [IsCourseStaff]
        InputSerializer = type(
            f"Allowance{_camel(key)}", (StrictSerializer,), {"value": value_field(key)}
        )

        @extend_schema(
            operation_id=f"allowance_grant_{key}",
            summary=f"Grant or change a learner's {key} allowance",
            request=InputSerializer,
            responses={200: AllowanceOutput, 201: AllowanceOutput, **errors(404)},
        )
        def put(self, request: Request, course_id: str, exam_id: int, username: str) -> Response:
            exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
            data = validated(self.InputSerializer(data=request.data), key)
            user = user_get_by_username(username=username)
            allowance, created = allowance_grant(
                exam=exam,
                user_id=user.pk,
                key=key,
                value=data["value"],
                actor_id=user_id_of(request),
            )
            return Response(
                AllowanceOutput(allowance).data,
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            )

        @extend_schema(
            operation_id=f"allowance_revoke_{key}",
            summary=f"Revoke a learner's {key} allowance",
            request=None,
            responses={204: None, **errors(404)},
        )
        def delete(self, request: Request, course_id: str, exam_id: int, username: str) -> Response:
            exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
            user = user_get_by_username(username=username)
            allowance_revoke(exam=exam, user_id=user.pk, key=key, actor_id=user_id_of(request))
            return Response(status=status.HTTP_204_NO_CONTENT)

    AllowanceDetailApi.__name__ = f"Allowance{_camel(key)}Api"
    AllowanceDetailApi.__qualname__ = AllowanceDetailApi.__name__
    return AllowanceDetailApi


# One view per allowance key: ``.../allowances/<username>/<key>`` (Grant, change or revoke one
# allowance of a learner on an exam of the course).
ALLOWANCE_DETAIL_VIEWS = {key: _allowance_detail_view(key) for key in Allowance.Key.values}


class _BulkGrantFields(StrictSerializer):
    exam_ids = serializers.ListField(
        child=JsonIntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=MAX_BULK_EXAMS,
    )
    usernames = serializers.ListField(
        child=JsonCharField(max_length=150), min_length=1, max_length=MAX_BULK_USERS
    )
    key = JsonChoiceField(choices=Allowance.Key.choices)
    value = JsonCharField(max_length=255)


# The body of a bulk grant, one shape per key (the schema's oneOf, told apart by ``key``).
BULK_GRANT_INPUTS: dict[str, type[serializers.Serializer[Any]]] = {
    key: type(
        f"AllowanceBulkGrant{_camel(key)}",
        (_BulkGrantFields,),
        {"key": JsonChoiceField(choices=[key]), "value": value_field(key)},
    )
    for key in Allowance.Key.values
}


class AllowanceBulkGrantApi(APIView):
    """Grant one allowance to many learners on many exams of the course; a result per pair."""

    permission_classes = [IsCourseStaff]

    class ResultSerializer(serializers.Serializer[Any]):
        exam_id = serializers.IntegerField()
        username = serializers.CharField()
        ok = serializers.BooleanField()
        code = serializers.CharField(help_text="Why the pair failed; empty when ok.")
        detail = serializers.CharField()

    @extend_schema(
        operation_id="allowance_bulk_grant",
        # Required, as every shape has required fields (require_bodies_with_required_fields).
        request=PolymorphicProxySerializer(
            component_name="AllowanceBulkGrantInput",
            serializers=dict(BULK_GRANT_INPUTS.items()),
            resource_type_field_name="key",
        ),
        responses={
            200: inline_serializer(
                name="AllowanceBulkGrantResults", fields={"results": ResultSerializer(many=True)}
            ),
            **errors(),
        },
    )
    def post(self, request: Request, course_id: str) -> Response:
        # The shape of the body's key; a missing or unknown key is refused by the common one.
        key = request.data.get("key") if isinstance(request.data, dict) else None
        key = key if isinstance(key, str) else ""
        data = validated(BULK_GRANT_INPUTS.get(key, _BulkGrantFields)(data=request.data), key)
        results = allowance_grant_bulk(course_id=course_id, actor_id=user_id_of(request), **data)
        return Response({"results": self.ResultSerializer(results, many=True).data})
