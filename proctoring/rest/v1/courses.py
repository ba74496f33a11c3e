"""Courses and course roles."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.accounts.selectors import user_get_by_username
from proctoring.courses.models import Course, CourseRole
from proctoring.courses.selectors import course_get
from proctoring.courses.services import (
    course_role_grant,
    course_role_revoke,
    course_update_or_create,
)
from proctoring.exceptions import CourseRoleNotFound
from proctoring.rest.pagination import PageNumberPagination, paginated
from proctoring.rest.permissions import IsCourseStaff, IsGlobalStaff
from proctoring.rest.schema import errors
from proctoring.rest.v1.common import (
    JsonCharField,
    JsonChoiceField,
    PageQuery,
    StrictSerializer,
    check_course_id,
)


class CourseOutput(serializers.ModelSerializer[Course]):
    class Meta:
        model = Course
        fields = ["course_id", "display_name", "provider", "created", "modified"]


class CourseApi(APIView):
    """Read a course (its staff); create or update it (global staff or a service account)."""

    def get_permissions(self) -> list[BasePermission]:
        return [IsGlobalStaff()] if self.request.method == "PUT" else [IsCourseStaff()]

    class InputSerializer(StrictSerializer):
        display_name = JsonCharField(max_length=255, required=False, allow_blank=True)
        provider = JsonCharField(max_length=100, required=False, allow_blank=True)

    @extend_schema(
        operation_id="course_upsert",
        request=InputSerializer,
        responses={200: CourseOutput, **errors()},
    )
    def put(self, request: Request, course_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        course = course_update_or_create(
            course_id=check_course_id(course_id), **serializer.validated_data
        )
        return Response(CourseOutput(course).data)

    @extend_schema(operation_id="course_read", responses={200: CourseOutput, **errors(404)})
    def get(self, request: Request, course_id: str) -> Response:
        return Response(CourseOutput(course_get(course_id=course_id)).data)


class RoleOutput(serializers.Serializer[CourseRole]):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    role = serializers.ChoiceField(choices=CourseRole.Role.choices)


class CourseRoleListApi(APIView):
    """The roles users hold in the course (its staff)."""

    permission_classes = [IsCourseStaff]

    class FilterSerializer(PageQuery):
        role = serializers.ChoiceField(choices=CourseRole.Role.choices, required=False)

    @extend_schema(
        operation_id="course_role_list",
        parameters=[FilterSerializer],
        responses={200: paginated("PaginatedRoleList", RoleOutput(many=True)), **errors()},
    )
    def get(self, request: Request, course_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        roles: QuerySet[CourseRole] = (
            CourseRole.objects.select_related("user").filter(course_id=course_id).order_by("id")
        )
        if "role" in filters.validated_data:
            roles = roles.filter(role=filters.validated_data["role"])
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(roles, request, view=self)
        return paginator.get_paginated_response(RoleOutput(cast(Any, page), many=True).data)


class CourseRoleApi(APIView):
    """Grant a user a role in the course, change it, or revoke it (course staff)."""

    permission_classes = [IsCourseStaff]

    class InputSerializer(StrictSerializer):
        role = JsonChoiceField(choices=CourseRole.Role.choices)

    @extend_schema(
        operation_id="course_role_grant",
        request=InputSerializer,
        responses={200: RoleOutput, **errors(404)},
    )
    def put(self, request: Request, course_id: str, username: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_get_by_username(username=username)
        role = course_role_grant(
            user_id=user.pk,
            course_id=check_course_id(course_id),
            role=serializer.validated_data["role"],
        )
        return Response(RoleOutput(role).data)

    @extend_schema(
        operation_id="course_role_revoke",
        request=None,
        responses={204: None, **errors(404)},
    )
    def delete(self, request: Request, course_id: str, username: str) -> Response:
        user = user_get_by_username(username=username)
        if not course_role_revoke(user_id=user.pk, course_id=course_id):
            raise CourseRoleNotFound(f"User {username!r} has no role in {course_id!r}.")
        return Response(status=status.HTTP_204_NO_CONTENT)
