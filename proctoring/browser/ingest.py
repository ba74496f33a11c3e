"""A batch from the exam page, checked before anything is written: its shape, its counts and
sizes against the limits (config.IngestLimits), the event kinds the page may send, and the
snapshots' bytes (JPEG or PNG, decoded from base64). Pure: no database."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from proctoring.browser.config import IngestLimits
from proctoring.browser.errors import BatchInvalid, BatchTooLarge
from proctoring.browser.flags import EVENT_KINDS

CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_DATA_KEYS = 16
MAX_DATA_VALUE_CHARS = 200
IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


@dataclass(frozen=True)
class IncomingEvent:
    client_id: str
    kind: str
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class IncomingSnapshot:
    client_id: str
    kind: str
    at: datetime
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Batch:
    events: tuple[IncomingEvent, ...]
    snapshots: tuple[IncomingSnapshot, ...]


def _client_id(item: Mapping[str, Any], where: str) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not CLIENT_ID.match(value) or value.startswith("server-"):
        raise BatchInvalid(f"{where}: 'id' must be 1 to 64 letters, digits or _.:- characters.")
    return value


def _moment(item: Mapping[str, Any], where: str) -> datetime:
    value = item.get("at")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BatchInvalid(f"{where}: 'at' must be a time in milliseconds since the epoch.")
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise BatchInvalid(f"{where}: 'at' is out of range.") from exc


def _data(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    data = item.get("data", {})
    if not isinstance(data, dict) or len(data) > MAX_DATA_KEYS:
        raise BatchInvalid(f"{where}: 'data' must be an object of at most {MAX_DATA_KEYS} keys.")
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = value[:MAX_DATA_VALUE_CHARS]
        elif value is not None and not isinstance(value, bool | int | float):
            raise BatchInvalid(f"{where}: the values of 'data' must be strings or numbers.")
        clean[str(key)[:32]] = value
    return clean


def _image(item: Mapping[str, Any], where: str, limit: int) -> tuple[bytes, str]:
    encoded = item.get("image")
    if not isinstance(encoded, str):
        raise BatchInvalid(f"{where}: 'image' must be a base64 string (a data: URL is fine).")
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    if len(encoded) > (limit * 4) // 3 + 4:
        raise BatchTooLarge(f"{where}: the image is larger than {limit} bytes.")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BatchInvalid(f"{where}: 'image' is not valid base64.") from exc
    if len(content) > limit:
        raise BatchTooLarge(f"{where}: the image is larger than {limit} bytes.")
    for magic, content_type in IMAGE_TYPES.items():
        if content.startswith(magic):
            return content, content_type
    raise BatchInvalid(f"{where}: 'image' is neither a JPEG nor a PNG.")


def batch_parse(payload: Any, *, limits: IngestLimits) -> Batch:
    """The batch in ``payload`` (the request's JSON), or ``BatchInvalid`` / ``BatchTooLarge``
    saying what is wrong with it (nothing of it is kept then)."""
    if not isinstance(payload, dict):
        raise BatchInvalid("The batch must be a JSON object with 'events' and 'snapshots'.")
    raw_events = payload.get("events", [])
    raw_snapshots = payload.get("snapshots", [])
    if not isinstance(raw_events, list) or not isinstance(raw_snapshots, list):
        raise BatchInvalid("'events' and 'snapshots' must be lists.")
    if len(raw_events) > limits.max_events:
        raise BatchTooLarge(f"A batch holds at most {limits.max_events} events.")
    if len(raw_snapshots) > limits.max_snapshots:
        raise BatchTooLarge(f"A batch holds at most {limits.max_snapshots} snapshots.")
    events = []
    for index, item in enumerate(raw_events):
        where = f"events[{index}]"
        if not isinstance(item, dict):
            raise BatchInvalid(f"{where} must be an object.")
        kind = item.get("type")
        if kind not in EVENT_KINDS:
            raise BatchInvalid(f"{where}: {kind!r} is not a kind of event the page sends.")
        events.append(
            IncomingEvent(_client_id(item, where), kind, _moment(item, where), _data(item, where))
        )
    snapshots = []
    for index, item in enumerate(raw_snapshots):
        where = f"snapshots[{index}]"
        if not isinstance(item, dict):
            raise BatchInvalid(f"{where} must be an object.")
        kind = item.get("kind", "camera")
        if kind not in ("camera", "screen"):
            raise BatchInvalid(f"{where}: 'kind' must be camera or screen.")
        content, content_type = _image(item, where, limits.max_snapshot_bytes)
        snapshots.append(
            IncomingSnapshot(
                _client_id(item, where), kind, _moment(item, where), content, content_type
            )
        )
    if len({e.client_id for e in events}) != len(events):
        raise BatchInvalid("Two events of the batch have the same id.")
    if len({s.client_id for s in snapshots}) != len(snapshots):
        raise BatchInvalid("Two snapshots of the batch have the same id.")
    return Batch(tuple(events), tuple(snapshots))
