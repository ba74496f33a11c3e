"""Routes of operations: health and metrics, outside the API (no authentication, no /api/)."""

from django.urls import path

from proctoring.ops import health, metrics

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
