"""Runtime services: ports the platform may replace, with local defaults.

``instructor``: ``is_course_staff(user, course_id)``.
``credit``: ``set_credit_requirement_status``, ``remove_credit_requirement_status``,
``get_credit_state``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_services: dict[str, Any] = {}


def _default_factories() -> dict[str, Callable[[], Any]]:
    from proctoring.courses.service import LocalInstructorService
    from proctoring.credit.service import LocalCreditService

    return {"credit": LocalCreditService, "instructor": LocalInstructorService}


def set_runtime_service(name: str, service: Any) -> None:
    """Replace the service named ``name``; ``None`` puts the local default back."""
    with _lock:
        if service is None:
            _services.pop(name, None)
        else:
            _services[name] = service


def get_runtime_service(name: str) -> Any:
    """The service named ``name``: the one set, else the local default, else None."""
    service = _services.get(name)
    if service is not None:
        return service
    factory = _default_factories().get(name)
    if factory is None:
        return None
    with _lock:
        return _services.setdefault(name, factory())
