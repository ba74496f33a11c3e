"""Runtime services: ports the platform may replace, with local defaults.

``instructor`` (``proctoring.courses.ports.InstructorService``): ``is_course_staff``.
``credit`` (``proctoring.credit.ports.CreditService``): ``set_credit_requirement_status``,
``remove_credit_requirement_status``, ``get_credit_state``.

``get_runtime_service`` and ``set_runtime_service`` keep the reference's names; the domain reads
the typed accessors ``credit_service()`` and ``instructor_service()``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal, overload

from proctoring.courses.ports import InstructorService
from proctoring.credit.ports import CreditService

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


@overload
def get_runtime_service(name: Literal["credit"]) -> CreditService: ...
@overload
def get_runtime_service(name: Literal["instructor"]) -> InstructorService: ...
@overload
def get_runtime_service(name: str) -> Any: ...
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


def credit_service() -> CreditService:
    return get_runtime_service("credit")


def instructor_service() -> InstructorService:
    return get_runtime_service("instructor")
