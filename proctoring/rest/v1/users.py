"""Users: retirement of a learner's personal data, for platforms (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.accounts.retirement import Retirement, user_retire
from proctoring.providers.services import user_retire_at_providers
from proctoring.rest.permissions import IsGlobalStaff
from proctoring.rest.schema import errors


class RetirementOutput(serializers.Serializer[Retirement]):
    user_id = serializers.IntegerField()
    username = serializers.CharField(help_text="The retired username (retired_user_<hash>).")
    already_retired = serializers.BooleanField(
        help_text="True when an earlier call retired this user: nothing changed."
    )
    platform_identities_removed = serializers.IntegerField()
    api_keys_revoked = serializers.IntegerField()


class RetirementAnswer(RetirementOutput):
    providers = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="Each proctoring provider of the user's attempts, and whether it deleted "
        "what it held of the user.",
    )


class UserRetireApi(APIView):
    """Remove a user's personal data and keep their attempts (service accounts, global staff).

    The name and email are cleared, the username is replaced by ``retired_user_<hash>``, the
    platform identity links are removed and API keys revoked; attempt statuses, their history
    and credit statuses stay. The proctoring providers of the user's attempts are asked to
    delete what they hold of the user. Calling it again with the same username answers the same user
    with ``already_retired``.
    """

    permission_classes = [IsGlobalStaff]

    @extend_schema(
        operation_id="user_retire", request=None, responses={200: RetirementAnswer, **errors()}
    )
    def post(self, request: Request, username: str) -> Response:
        retirement = user_retire(username=username)
        providers = user_retire_at_providers(user_id=retirement.user_id)
        data: dict[str, Any] = {**RetirementOutput(retirement).data, "providers": providers}
        return Response(data)
