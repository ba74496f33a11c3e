from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from proctoring.rest.v1 import provider_callbacks

# The reference's callback paths, so its vendors call back unchanged (docs/providers.md).
REFERENCE_CALLBACKS = "api/edx_proctoring/v1/proctored_exam/attempt/<str:external_id>"


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    # Operations (docs/operations.md): /health/live, /health/ready, /metrics.
    path("", include("proctoring.ops.urls")),
    # REST API v1 (issue #3), its OpenAPI schema and Swagger UI, and the browsable API's login.
    path("api/v1/", include("proctoring.rest.urls")),
    path(
        f"{REFERENCE_CALLBACKS}/ready",
        provider_callbacks.ReadyCallbackApi.as_view(),
        name="reference-callback-ready",
    ),
    path(
        f"{REFERENCE_CALLBACKS}/reviewed",
        provider_callbacks.ReviewedCallbackApi.as_view(),
        name="reference-callback-reviewed",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/auth/", include("rest_framework.urls")),
    # LTI Proctoring Services' machine endpoints (docs/lti.md).
    path("", include("proctoring.rest.lti")),
    # The web UI for learners and course staff (docs/web.md), last: it owns "/".
    path("", include("proctoring.web.urls")),
]

# Django's own answers in the API's error shape (the admin keeps its HTML pages).
handler400 = "proctoring.rest.django_errors.bad_request"
handler403 = "proctoring.rest.django_errors.permission_denied"
handler404 = "proctoring.rest.django_errors.page_not_found"
handler500 = "proctoring.rest.django_errors.server_error"
