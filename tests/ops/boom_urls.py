"""A URL configuration with one view that fails: what an unhandled error logs."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def boom(request: HttpRequest, course_id: str, attempt_id: int) -> HttpResponse:
    raise RuntimeError("boom: a bug in a view")


urlpatterns = [path("boom/<str:course_id>/<int:attempt_id>", boom, name="boom")]
