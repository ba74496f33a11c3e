"""The bench server's URLs: the service's, and the floors of ``floor_views`` under /bench/."""

from django.urls import path

from proctoring.devtools.floor_views import floor_read, floor_write
from proctoring.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("bench/floor/read/<int:attempt_id>", floor_read, name="bench-floor-read"),
    path("bench/floor/write/<int:attempt_id>", floor_write, name="bench-floor-write"),
    *urlpatterns,
]
