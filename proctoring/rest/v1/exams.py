"""Exams of a course (its staff)."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.exams.models import Exam
from proctoring.exams.selectors import (
    exam_get_by_content_id,
    exam_get_in_course,
    exam_list_for_course,
)
from proctoring.exams.services import exam_create, exam_update
from proctoring.rest.pagination import PageNumberPagination, paginated
from proctoring.rest.permissions import IsCourseStaff
from proctoring.rest.schema import errors
from proctoring.rest.v1.common import (
    JsonBooleanField,
    JsonCharField,
    JsonIntegerField,
    PageQuery,
    QueryBooleanField,
    QuerySerializer,
    StrictSerializer,
    check_course_id,
)


class ExamOutput(serializers.ModelSerializer[Exam]):
    class Meta:
        model = Exam
        fields = [
            "id",
            "course_id",
            "content_id",
            "exam_name",
            "time_limit_mins",
            "due_date",
            "is_proctored",
            "is_practice_exam",
            "is_active",
            "hide_after_due",
            "external_id",
            "backend",
            "is_onboarding",
        ]


class _ExamFields(StrictSerializer):
    exam_name = JsonCharField(max_length=10_000)
    time_limit_mins = JsonIntegerField(min_value=0, max_value=100_000, allow_null=True)
    due_date = serializers.DateTimeField(required=False, allow_null=True)
    is_proctored = JsonBooleanField(required=False)
    is_practice_exam = JsonBooleanField(required=False)
    is_active = JsonBooleanField(required=False)
    hide_after_due = JsonBooleanField(required=False)
    external_id = JsonCharField(max_length=255, required=False, allow_null=True)
    backend = JsonCharField(max_length=100, required=False, allow_null=True)
    is_onboarding = JsonBooleanField(
        required=False,
        help_text="The course's onboarding exam, which is a proctored practice exam: true "
        "makes the exam proctored and practice; making it timed or real ends this.",
    )


class ExamListCreateApi(APIView):
    """List the course's exams, or create one (course staff)."""

    permission_classes = [IsCourseStaff]

    class FilterSerializer(PageQuery):
        active_only = QueryBooleanField(required=False, default=False)

    class InputSerializer(_ExamFields):
        content_id = JsonCharField(max_length=255)

    @extend_schema(
        operation_id="exam_list",
        parameters=[FilterSerializer],
        responses={200: paginated("PaginatedExamList", ExamOutput(many=True)), **errors()},
    )
    def get(self, request: Request, course_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        exams = exam_list_for_course(
            course_id=course_id, active_only=filters.validated_data["active_only"]
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(exams, request, view=self)
        return paginator.get_paginated_response(ExamOutput(cast(Any, page), many=True).data)

    @extend_schema(
        operation_id="exam_create",
        request=InputSerializer,
        responses={201: ExamOutput, **errors(409)},
    )
    def post(self, request: Request, course_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exam = exam_create(course_id=check_course_id(course_id), **serializer.validated_data)
        return Response(ExamOutput(exam).data, status=status.HTTP_201_CREATED)


class ExamLookupApi(APIView):
    """Find the course's exam by its content id (course staff)."""

    permission_classes = [IsCourseStaff]

    class FilterSerializer(QuerySerializer):
        content_id = serializers.CharField(max_length=255, min_length=1)

    @extend_schema(
        operation_id="exam_lookup",
        parameters=[FilterSerializer],
        responses={200: ExamOutput, **errors(404)},
    )
    def get(self, request: Request, course_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        exam = exam_get_by_content_id(
            course_id=course_id, content_id=filters.validated_data["content_id"]
        )
        return Response(ExamOutput(exam).data)


class ExamDetailApi(APIView):
    """Read or change one exam of the course (course staff)."""

    permission_classes = [IsCourseStaff]

    class InputSerializer(_ExamFields):
        exam_name = JsonCharField(max_length=10_000, required=False)
        time_limit_mins = JsonIntegerField(min_value=0, max_value=100_000, required=False)
        # null means "unchanged" in the domain: only a value is accepted here.
        external_id = JsonCharField(max_length=255, required=False)
        backend = JsonCharField(max_length=100, required=False)

    @extend_schema(operation_id="exam_read", responses={200: ExamOutput, **errors(404)})
    def get(self, request: Request, course_id: str, exam_id: int) -> Response:
        return Response(ExamOutput(exam_get_in_course(course_id=course_id, exam_id=exam_id)).data)

    @extend_schema(
        operation_id="exam_update",
        request=InputSerializer,
        responses={200: ExamOutput, **errors(404)},
    )
    def patch(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exam = exam_update(exam_id=exam.pk, **serializer.validated_data)
        return Response(ExamOutput(exam).data)
