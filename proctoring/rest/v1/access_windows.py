"""Access rules over REST, course staff's side (OpenAPI tag ``access``): exam windows of a
learner or a group, groups' members, "start now" releases, the gate log, browser sessions."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.access.models import GateLog
from proctoring.access.rules import (
    attempt_session_unlock,
    exam_release,
    exam_release_withdraw,
    exam_rules_of,
)
from proctoring.access.windows import (
    group_members_set_checked,
    window_set_for_group,
    window_set_for_learner,
)
from proctoring.accounts.selectors import user_get_by_username
from proctoring.attempts.selectors import attempt_get_by_id
from proctoring.exams.selectors import exam_get_in_course
from proctoring.exceptions import (
    ProctoredExamNotFoundException,
    StudentExamAttemptDoesNotExistsException,
)
from proctoring.rest.pagination import PageNumberPagination, paginated
from proctoring.rest.permissions import (
    IsCourseStaff,
    check_attempt_staff,
)
from proctoring.rest.schema import errors
from proctoring.rest.v1.access import TAGS
from proctoring.rest.v1.common import (
    JsonCharField,
    PageQuery,
    StrictSerializer,
    user_id_of,
)

GROUP_PARAMETER = OpenApiParameter(
    "group",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[^/\x00]{1,100}$",
    description="The group's name (a room, a cohort), 1 to 100 characters.",
)


# Staff: windows, groups, releases, the gate log, sessions.


class WindowInput(StrictSerializer):
    """A window's ends (ISO 8601 with offset); null (or left out) for an end: the wider
    level's (the group's, then the exam's)."""

    opens_at = serializers.DateTimeField(allow_null=True, required=False, default=None)
    due_at = serializers.DateTimeField(allow_null=True, required=False, default=None)


WindowOutput = inline_serializer(
    name="Window",
    fields={
        "opens_at": serializers.DateTimeField(allow_null=True),
        "due_at": serializers.DateTimeField(allow_null=True),
    },
)


class LearnerWindowApi(APIView):
    """Course staff give a learner its own window on an exam (an allowance), or remove it."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="learner_window_set",
        tags=TAGS,
        request=WindowInput,
        responses={200: WindowOutput, **errors(409)},
    )
    def put(self, request: Request, course_id: str, exam_id: int, username: str) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        user = user_get_by_username(username=username)
        serializer = WindowInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        window_set_for_learner(
            exam=exam,
            exam_opens_at=exam_rules_of(exam).opens_at,
            user_id=cast(int, user.pk),
            actor_id=user_id_of(request),
            **serializer.validated_data,
        )
        return Response(serializer.data)

    @extend_schema(
        operation_id="learner_window_remove", tags=TAGS, responses={204: None, **errors(409)}
    )
    def delete(self, request: Request, course_id: str, exam_id: int, username: str) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        user = user_get_by_username(username=username)
        window_set_for_learner(
            exam=exam,
            exam_opens_at=None,
            user_id=cast(int, user.pk),
            opens_at=None,
            due_at=None,
            actor_id=user_id_of(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupWindowApi(APIView):
    """Course staff give a group of learners its window on an exam, or remove it."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="group_window_set",
        parameters=[GROUP_PARAMETER],
        tags=TAGS,
        request=WindowInput,
        responses={200: WindowOutput, **errors(409)},
    )
    def put(self, request: Request, course_id: str, exam_id: int, group: str) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        serializer = WindowInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        window_set_for_group(
            exam=exam,
            exam_opens_at=exam_rules_of(exam).opens_at,
            group=group,
            actor_id=user_id_of(request),
            **serializer.validated_data,
        )
        return Response(serializer.data)

    @extend_schema(
        operation_id="group_window_remove",
        parameters=[GROUP_PARAMETER],
        tags=TAGS,
        responses={204: None, **errors(409)},
    )
    def delete(self, request: Request, course_id: str, exam_id: int, group: str) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        window_set_for_group(
            exam=exam,
            exam_opens_at=None,
            group=group,
            opens_at=None,
            due_at=None,
            actor_id=user_id_of(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMembersApi(APIView):
    """Course staff set the members of a group of the course (a room, a cohort)."""

    permission_classes = [IsCourseStaff]

    class InputSerializer(StrictSerializer):
        usernames = serializers.ListField(
            child=JsonCharField(max_length=150, min_length=1), max_length=5000
        )

    @extend_schema(
        operation_id="group_members_set",
        parameters=[GROUP_PARAMETER],
        tags=TAGS,
        request=InputSerializer,
        responses={
            200: inline_serializer(
                name="GroupMembers",
                fields={
                    "group": serializers.CharField(),
                    "user_ids": serializers.ListField(child=serializers.IntegerField()),
                },
            ),
            **errors(409),
        },
    )
    def put(self, request: Request, course_id: str, group: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_ids = group_members_set_checked(
            course_id=course_id, group=group, usernames=serializer.validated_data["usernames"]
        )
        return Response({"group": group, "user_ids": user_ids})


class ReleaseInput(StrictSerializer):
    group = JsonCharField(max_length=100, allow_blank=True, required=False, default="")


class ExamReleaseApi(APIView):
    """Course staff's "start now": the exam's learners of a group ("" for all) may start it."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="exam_release",
        tags=TAGS,
        request=ReleaseInput,
        responses={
            200: inline_serializer(
                name="Release",
                fields={
                    "group": serializers.CharField(),
                    "released_at": serializers.DateTimeField(),
                },
            ),
            **errors(),
        },
    )
    def post(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        serializer = ReleaseInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        release = exam_release(
            exam=exam, group=serializer.validated_data["group"], actor_id=user_id_of(request)
        )
        return Response({"group": release.group, "released_at": release.released_at})

    @extend_schema(
        operation_id="exam_release_withdraw",
        tags=TAGS,
        request=ReleaseInput,
        responses={204: None, **errors()},
    )
    def delete(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        serializer = ReleaseInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not exam_release_withdraw(exam=exam, group=serializer.validated_data["group"]):
            raise ProctoredExamNotFoundException("The exam was not released for this group.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class GateLogItem(serializers.Serializer[GateLog]):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    attempt_id = serializers.IntegerField(allow_null=True)
    outcome = serializers.CharField(help_text="passed, or the refusal's code.")
    gates = serializers.ListField(child=serializers.CharField())
    ip = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()


class GateLogApi(APIView):
    """Course staff read every pass at an exam's gates, newest first."""

    permission_classes = [IsCourseStaff]

    class FilterSerializer(PageQuery):
        username = serializers.CharField(max_length=150, min_length=1, required=False)

    @extend_schema(
        operation_id="exam_gate_log",
        tags=TAGS,
        parameters=[FilterSerializer],
        responses={200: paginated("PaginatedGateLog", GateLogItem(many=True)), **errors()},
    )
    def get(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        logs = GateLog.objects.select_related("user").filter(exam=exam).order_by("-id")
        if "username" in filters.filters:
            logs = logs.filter(user__username=filters.filters["username"])
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(logs, request, view=self)
        return paginator.get_paginated_response(GateLogItem(cast(Any, page), many=True).data)


class SessionUnlockApi(APIView):
    """Course staff free a running attempt from its browser: another device may go on."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="attempt_session_unlock",
        tags=TAGS,
        request=None,
        responses={
            200: inline_serializer(name="Unlock", fields={"was_bound": serializers.BooleanField()}),
            **errors(),
        },
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        attempt = attempt_get_by_id(attempt_id=attempt_id)
        if attempt is None:
            raise StudentExamAttemptDoesNotExistsException(
                f"There is no attempt with id {attempt_id}."
            )
        check_attempt_staff(request, attempt)
        bound = attempt_session_unlock(attempt_id=attempt_id, actor_id=user_id_of(request))
        return Response({"was_bound": bound})
