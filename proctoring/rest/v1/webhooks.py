"""Webhook subscriptions of platforms, their deliveries, and the outbox's backlog.

For service accounts and global staff (docs/events.md). A service account sees and changes
the subscriptions it made; global staff see all of them.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.core.events import EVENT_TYPES
from proctoring.exceptions import SubscriptionNotFound
from proctoring.outbox.models import Delivery, Subscription
from proctoring.outbox.services import (
    delivery_retry,
    outbox_backlog,
    subscription_create,
    subscription_get,
    subscription_list,
    subscription_remove,
    subscription_replay,
    subscription_rotate_secret,
    subscription_set_paused,
)
from proctoring.rest.pagination import PageNumberPagination, paginated
from proctoring.rest.permissions import IsGlobalStaff
from proctoring.rest.schema import errors
from proctoring.rest.v1.common import StrictSerializer


class SubscriptionOutput(serializers.Serializer[Subscription]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.URLField()
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES),
        help_text="The event types sent; empty: every type.",
    )
    paused = serializers.BooleanField()
    failures = serializers.IntegerField(help_text="Consecutive failures of the next event.")
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    previous_secret_until = serializers.DateTimeField(
        allow_null=True, help_text="Until when the previous secret also signs (a rotation)."
    )
    created = serializers.DateTimeField()


class NewSubscriptionOutput(SubscriptionOutput):
    secret = serializers.CharField(help_text="The signing secret: shown this once only.")


class DeliveryOutput(serializers.Serializer[Delivery]):
    id = serializers.IntegerField()
    event_id = serializers.UUIDField(source="event.event_id")
    event_type = serializers.CharField(source="event.type")
    attempt_id = serializers.IntegerField(source="event.attempt_id", allow_null=True)
    attempted_at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(choices=Delivery.Outcome.choices)
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    duration_ms = serializers.IntegerField()


def _owner(request: Request) -> int | None:
    """Whose subscriptions the caller manages: its own, or everyone's for global staff."""
    return None if request.user.is_staff else request.user.pk


def _subscription(request: Request, subscription_id: int) -> Subscription:
    return subscription_get(subscription_id=subscription_id, owner_id=_owner(request))


def _render(subscription: Subscription, secret: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = dict(SubscriptionOutput(subscription).data)
    if secret is not None:
        data["secret"] = secret
    return data


class WebhookListCreateApi(APIView):
    """List the caller's webhook subscriptions, or subscribe a URL to events."""

    permission_classes = [IsGlobalStaff]

    class InputSerializer(StrictSerializer):
        url = serializers.URLField(max_length=2000)
        name = serializers.CharField(max_length=100, required=False, default="")
        event_types = serializers.ListField(
            child=serializers.ChoiceField(choices=EVENT_TYPES), required=False, default=list
        )

    @extend_schema(
        operation_id="webhook_list", responses={200: SubscriptionOutput(many=True), **errors()}
    )
    def get(self, request: Request) -> Response:
        subscriptions = subscription_list(owner_id=_owner(request))
        return Response([_render(subscription) for subscription in subscriptions])

    @extend_schema(
        operation_id="webhook_create",
        request=InputSerializer,
        responses={201: NewSubscriptionOutput, **errors()},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = subscription_create(owner_id=request.user.pk, **serializer.validated_data)
        return Response(_render(new.subscription, new.secret), status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    """A subscription; DELETE stops its deliveries (its log stays)."""

    permission_classes = [IsGlobalStaff]

    @extend_schema(operation_id="webhook_read", responses={200: SubscriptionOutput, **errors(404)})
    def get(self, request: Request, subscription_id: int) -> Response:
        return Response(_render(_subscription(request, subscription_id)))

    @extend_schema(operation_id="webhook_delete", responses={204: None, **errors(404)})
    def delete(self, request: Request, subscription_id: int) -> Response:
        subscription_remove(subscription=_subscription(request, subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _pause_view(paused: bool) -> type[APIView]:
    class WebhookPauseApi(APIView):
        permission_classes = [IsGlobalStaff]

        @extend_schema(
            operation_id="webhook_pause" if paused else "webhook_resume",
            summary="Pause deliveries" if paused else "Resume deliveries",
            request=None,
            responses={200: SubscriptionOutput, **errors(404)},
        )
        def post(self, request: Request, subscription_id: int) -> Response:
            subscription = _subscription(request, subscription_id)
            return Response(
                _render(subscription_set_paused(subscription=subscription, paused=paused))
            )

    WebhookPauseApi.__name__ = "WebhookPauseApi" if paused else "WebhookResumeApi"
    WebhookPauseApi.__qualname__ = WebhookPauseApi.__name__
    return WebhookPauseApi


WebhookPauseApi = _pause_view(True)
WebhookResumeApi = _pause_view(False)


class WebhookRotateSecretApi(APIView):
    """A new signing secret; the previous one signs too during the overlap."""

    permission_classes = [IsGlobalStaff]

    @extend_schema(
        operation_id="webhook_rotate_secret",
        request=None,
        responses={200: NewSubscriptionOutput, **errors(404)},
    )
    def post(self, request: Request, subscription_id: int) -> Response:
        rotated = subscription_rotate_secret(subscription=_subscription(request, subscription_id))
        return Response(_render(rotated.subscription, rotated.secret))


class WebhookReplayApi(APIView):
    """Deliver again every event from a time on, in order."""

    permission_classes = [IsGlobalStaff]

    class InputSerializer(StrictSerializer):
        since = serializers.DateTimeField()

    @extend_schema(
        operation_id="webhook_replay",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                name="ReplayOutput", fields={"events": serializers.IntegerField()}
            ),
            **errors(404),
        },
    )
    def post(self, request: Request, subscription_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = _subscription(request, subscription_id)
        count = subscription_replay(
            subscription=subscription, since=serializer.validated_data["since"]
        )
        return Response({"events": count})


class WebhookDeliveryListApi(APIView):
    """The delivery log of a subscription, newest first; ``outcome`` filters it."""

    permission_classes = [IsGlobalStaff]

    class FilterSerializer(StrictSerializer):
        outcome = serializers.ChoiceField(choices=Delivery.Outcome.choices, required=False)
        page = serializers.IntegerField(min_value=1, required=False)
        page_size = serializers.IntegerField(min_value=1, max_value=200, required=False)

    @extend_schema(
        operation_id="webhook_delivery_list",
        parameters=[FilterSerializer],
        responses={200: paginated("DeliveryPage", DeliveryOutput(many=True)), **errors(404)},
    )
    def get(self, request: Request, subscription_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        subscription = _subscription(request, subscription_id)
        deliveries: QuerySet[Delivery] = subscription.deliveries.select_related("event")
        if "outcome" in filters.validated_data:
            deliveries = deliveries.filter(outcome=filters.validated_data["outcome"])
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(deliveries.order_by("-id"), request, view=self)
        return paginator.get_paginated_response(DeliveryOutput(cast(Any, page), many=True).data)


class WebhookDeliveryRetryApi(APIView):
    """Send a delivery's event to the subscription once more, now (a dead letter, say)."""

    permission_classes = [IsGlobalStaff]

    @extend_schema(
        operation_id="webhook_delivery_retry",
        request=None,
        responses={200: DeliveryOutput, **errors(404)},
    )
    def post(self, request: Request, subscription_id: int, delivery_id: int) -> Response:
        subscription = _subscription(request, subscription_id)
        delivery = (
            subscription.deliveries.select_related("event", "subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            raise SubscriptionNotFound(
                f"Subscription {subscription_id} has no delivery {delivery_id}."
            )
        return Response(DeliveryOutput(delivery_retry(delivery=delivery)).data)


class EventBacklogApi(APIView):
    """What the outbox has left to deliver, counted from the slowest subscription."""

    permission_classes = [IsGlobalStaff]

    @extend_schema(
        operation_id="event_backlog",
        responses={
            200: inline_serializer(
                name="EventBacklog",
                fields={
                    "undelivered": serializers.IntegerField(),
                    "oldest_undelivered_at": serializers.DateTimeField(allow_null=True),
                },
            ),
            **errors(),
        },
    )
    def get(self, request: Request) -> Response:
        backlog = outbox_backlog()
        oldest = backlog.oldest_undelivered_at
        return Response(
            {
                "undelivered": backlog.undelivered,
                "oldest_undelivered_at": oldest.isoformat() if oldest else None,
            }
        )
