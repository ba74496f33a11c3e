from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    # Operations (docs/operations.md): /health/live, /health/ready, /metrics.
    path("", include("proctoring.ops.urls")),
    # REST API v1 (issue #3), its OpenAPI schema and Swagger UI, and the browsable API's login.
    path("api/v1/", include("proctoring.rest.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/auth/", include("rest_framework.urls")),
]

handler404 = "proctoring.rest.exception_handler.json_not_found"
handler500 = "proctoring.rest.exception_handler.json_server_error"
