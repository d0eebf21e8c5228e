"""A local HTTP emulator of the Datadog API (v1 monitors and dashboards), for the test suite.

The emulator is a ``http.server.ThreadingHTTPServer`` bound to ``127.0.0.1`` on a free port, served
from a daemon thread. It never listens on any other address and never reaches the network.

Usage::

    with DatadogEmulator() as emu:
        datadog.initialize(api_key=emu.api_key, app_key=emu.app_key, api_host=emu.url,
                           host_name="test", mute=False)
        datadog.api.Monitor.create(type="metric alert", query=..., name=..., options=...)
        assert emu.request_count("POST", "/api/v1/monitor") == 1

(pass ``host_name`` to ``datadog.initialize``: without it the package resolves the host name itself,
which can try cloud metadata endpoints.)

What it reproduces (sources: the Datadog API reference as embedded in ``datadog_api_client`` and the
request/response cassettes recorded against the real service in the datadog-api-client-python
repository):

* Auth: every ``/api`` request needs ``DD-API-KEY`` and ``DD-APPLICATION-KEY`` headers that match,
  else ``403 {"errors": ["Forbidden"]}`` (``GET /api/v1/validate`` needs only the API key). Key values
  are never echoed, logged or recorded.
* Monitors (``/api/v1/monitor``): create/list/get/update/delete and ``/validate``. The stored object
  carries the read-only fields the service adds (``id``, ``org_id``, ``created``, ``created_at``,
  ``modified``, ``creator``, ``overall_state`` "No Data", ``deleted`` null, ``multi``,
  ``matching_downtimes`` [], ``restricted_roles`` null, ``priority`` null, ``draft_status``
  "published") and the option defaults the service fills for a metric monitor: ``notify_no_data``
  false, ``notify_audit`` false, ``include_tags`` true, ``silenced`` {}, ``new_host_delay`` 300 (only
  when absent). ``require_full_window``, ``evaluation_delay``, ``renotify_interval``... stay absent
  unless given (that is what the real service answered in 2025). Normalisations a client must cope
  with:

  - ``type: "metric alert"`` is stored and returned as ``"query alert"`` (a long-standing API quirk;
    Terraform's provider treats the two as equal);
  - threshold numbers come back as floats (``5`` -> ``5.0``);
  - tags come back sorted;
  - ``multi`` is true when the query groups (``by {...}``).

  ``PUT`` updates the given fields only; a given ``options`` replaces the whole options object, then
  the defaults are applied again. The type cannot be changed (except metric <-> query alert).
  Create, update and validate all reject an invalid monitor with ``400 {"errors": [...]}``.
* Listing monitors: ``monitor_tags`` (comma-separated, a monitor matches when it has ALL of them),
  ``tags`` (scope: every tag must appear in the query), ``name`` (case-insensitive substring),
  ``id_offset``, ``page`` (0-based) and ``page_size`` (max 1000, else 400). As documented, without
  ``page`` every matching monitor is returned and ``page_size`` is ignored; with ``page`` and no
  ``page_size`` a page holds 100 monitors.
* Dashboards (``/api/v1/dashboard``): ids like ``"ffs-qse-3ra"``, ``url`` ``/dashboard/<id>/<slug>``,
  ``author_handle``, ``author_name``, ``created_at``/``modified_at``, ``is_read_only`` false, integer
  widget ``id`` on every widget including those nested in group widgets. ``GET /api/v1/dashboard``
  answers ``{"dashboards": [summary, ...]}`` (summary fields of ``DashboardSummaryDefinition``) with
  ``start`` (offset) and ``count`` (max returned) paging.
* Every monitor/dashboard request body is checked with ``check_datadog_model`` (the official
  ``datadog_api_client`` models); any problem is a 400 naming it.
* Unknown routes -> 404 JSON, bad JSON -> 400, every answer is ``application/json``.

Faults (``inject``): ``"429"`` (headers ``X-RateLimit-Limit``, ``-Period``, ``-Remaining``,
``-Reset``), ``"500"``, ``"slow"`` (sleep ``delay`` seconds, then answer normally) and
``"drop_response"`` (perform the request, e.g. store the monitor, then close the connection with no
HTTP answer at all).

How the ``datadog`` package (datadogpy 0.56, ``datadog.api``) surfaces these, verified by
tests/test_datadog_emulator.py:

* ``datadog.initialize(mute=True)`` is the package DEFAULT: API errors (4xx with an ``errors`` body)
  and connection errors are then swallowed and RETURNED as a dict ``{"errors": ...}``. Always pass
  ``mute=False`` in the sync engine.
* 400/401/403/404/409/429 -> ``datadog.api.exceptions.ApiError``; ``exc.args[0]`` is the decoded JSON
  body (``{"errors": [...]}``). The status code and the response headers are NOT available: a 429 is
  only recognisable by its message, and ``X-RateLimit-Reset`` cannot be read through ``datadog.api``
  (``return_raw_response=True`` does not help: the exception is raised before the raw response is
  returned). A client that wants to honour ``X-RateLimit-Reset`` must make that request itself
  (``requests``/``urllib``) or back off on its own schedule.
* 500 and any other non-2xx -> ``datadog.api.exceptions.HTTPError`` (message "Datadog returned a bad
  HTTP response code: 500 - Internal Server Error..."); raised even with ``mute=True``; the body is
  not read and there is no status attribute.
* Connection refused, reset, or closed without an answer (``drop_response``) -> ``ClientError`` (from
  ``requests.ConnectionError``; ``RemoteDisconnected`` underneath). With ``mute=True`` it is
  swallowed and returned as ``{"errors": "Could not request ..."}``.
* Read timeout (``initialize(timeout=...)``, default 60 s) -> ``HttpTimeout`` (raised even with
  ``mute=True``). A connect timeout is a ``ClientError``. After 3 consecutive timeouts
  (``api._max_timeouts``) every call raises ``HttpBackoff`` for 300 s (``api._backoff_period``)
  without sending anything: that state lives on the class ``datadog.api.api_client.APIClient``
  (``_timeout_counter``, ``_backoff_timestamp``) and survives ``initialize``.
* All of these derive from ``datadog.api.exceptions.DatadogException``.
* Retries: the package never retries on a status code (429/5xx) and never sleeps. Its ``requests``
  session mounts ``HTTPAdapter(max_retries=api._max_retries)`` (default 3) on ``https://`` ONLY, so
  against this emulator (``http://``) nothing is retried at all. Against the real service (https),
  urllib3 retries connection failures, and a dropped answer (a read error) only for idempotent
  methods (GET/PUT/DELETE): a POST whose answer was lost is NOT resent, so the sync engine must
  re-list before re-creating.
* The ``requests`` session is module-level and shared (keep-alive), created on first use.

Known gaps versus the real service: query validation covers metric/query alerts only (other monitor
types only need a non-empty query); no downtimes, mute, search, SLOs, v2 endpoints or rate-limit
accounting (429 only when injected); dashboard listing ignores ``filter[shared]``/``filter[deleted]``;
error texts are close to, not byte-identical with, the service's.
"""

from __future__ import annotations

import contextlib
import copy
import hmac
import json
import math
import random
import re
import socket
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "FAULTS",
    "DatadogEmulator",
    "RecordedRequest",
    "check_datadog_model",
    "validate_monitor",
]

JSONDict = dict[str, Any]

FAULTS = frozenset({"429", "500", "slow", "drop_response"})
LOOPBACK = "127.0.0.1"
ORG_ID = 1
CREATOR: JSONDict = {
    "id": 1,
    "email": "emulator@example.com",
    "handle": "emulator@example.com",
    "name": "Datadog Emulator",
}
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100

# --------------------------------------------------------------------------------------------------
# Model check against the official datadog_api_client models
# --------------------------------------------------------------------------------------------------

_MODEL_PATHS = {
    "monitor": ("datadog_api_client.v1.model.monitor", "Monitor"),
    "monitor_update": ("datadog_api_client.v1.model.monitor_update_request", "MonitorUpdateRequest"),
    "dashboard": ("datadog_api_client.v1.model.dashboard", "Dashboard"),
}
_model_cache: dict[str, Any] = {}
_model_lock = threading.Lock()


def _model_tools() -> tuple[Any, Any]:
    """(datadog_api_client.model_utils module, a Configuration), imported lazily once."""
    with _model_lock:
        if "utils" not in _model_cache:
            import datadog_api_client.model_utils as model_utils
            from datadog_api_client import Configuration

            _model_cache["utils"] = model_utils
            configuration_class: Any = Configuration
            _model_cache["configuration"] = configuration_class()
        return _model_cache["utils"], _model_cache["configuration"]


def _model_class(kind: str) -> Any:
    try:
        module_name, class_name = _MODEL_PATHS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(_MODEL_PATHS)}") from None
    import importlib

    return getattr(importlib.import_module(module_name), class_name)


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type_values(model_class: Any) -> set[str]:
    """The values of a oneOf member's ``type`` enum (e.g. {"timeseries"}), if it has one."""
    types = getattr(model_class, "openapi_types", None)
    if not isinstance(types, dict) or "type" not in types:
        return set()
    values: set[str] = set()
    for candidate in types["type"]:
        allowed = getattr(candidate, "allowed_values", None)
        if allowed:
            values.update(str(v) for v in allowed)
    return values


def _convert(data: Any, model_class: Any, path: str) -> Any:
    model_utils, configuration = _model_tools()
    return model_utils.validate_and_convert_types(
        data, (model_class,), [path], True, True, configuration=configuration
    )


def _diagnose_composed(model_class: Any, data: Any, path: str, errors: list[str]) -> None:
    """Explain why ``data`` matched none of a oneOf model's schemas."""
    members = [m for m in model_class._composed_schemas.get("oneOf", []) if isinstance(m, type)]
    if isinstance(data, dict) and "type" in data:
        by_type = {m: _type_values(m) for m in members}
        known = sorted(set().union(*by_type.values())) if by_type else []
        candidates = [m for m, values in by_type.items() if data["type"] in values]
        if known and not candidates:
            errors.append(
                f"{path}.type: unknown {model_class.__name__} type {data['type']!r} "
                f"(known: {', '.join(known)})"
            )
            return
        if len(candidates) == 1:
            try:
                instance = _convert(data, candidates[0], path)
            except Exception as exc:  # the client's own type errors
                errors.append(f"{path} ({candidates[0].__name__}): {exc}")
                return
            before = len(errors)
            _diagnose(instance, path, errors)
            if len(errors) == before:
                errors.append(f"{path}: not a valid {candidates[0].__name__}: {_short(data)}")
            return
    errors.append(f"{path}: matches none of the {model_class.__name__} schemas: {_short(data)}")


def _diagnose(obj: Any, path: str, errors: list[str]) -> None:
    """Walk a deserialized model and report every part the client could not parse."""
    model_utils, _ = _model_tools()
    if isinstance(obj, model_utils.UnparsedObject):
        errors.append(f"{path}: unrecognised value {_short(obj._data_store)}")
    elif isinstance(obj, model_utils.ModelSimple):
        if obj._unparsed:
            allowed = ", ".join(sorted(str(v) for v in obj.allowed_values))
            errors.append(
                f"{path}: invalid {type(obj).__name__} value {obj.get('value')!r} (allowed: {allowed})"
            )
    elif isinstance(obj, model_utils.ModelComposed):
        if obj._unparsed:
            raw = next(
                (i._data_store for i in obj._composed_instances if isinstance(i, model_utils.UnparsedObject)),
                None,
            )
            _diagnose_composed(type(obj), raw, path, errors)
        else:
            for instance in obj._composed_instances:
                if isinstance(instance, model_utils.OpenApiModel) and instance is not obj:
                    _diagnose(instance, path, errors)
    elif isinstance(obj, model_utils.OpenApiModel):
        for key, value in obj._data_store.items():
            _diagnose(value, f"{path}.{key}", errors)
    elif isinstance(obj, list):
        for index, item in enumerate(obj):
            _diagnose(item, f"{path}[{index}]", errors)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _diagnose(value, f"{path}.{key}", errors)


def check_datadog_model(kind: str, body: dict[str, Any]) -> list[str]:
    """Check a request body against the official ``datadog_api_client`` v1 model.

    ``kind`` is ``"monitor"`` (``Monitor``, create and validate bodies), ``"monitor_update"``
    (``MonitorUpdateRequest``, PUT bodies) or ``"dashboard"`` (``Dashboard``, POST and PUT bodies).
    The body is deserialized with the client's own machinery (``validate_and_convert_types`` with
    JSON attribute names, as the client does for answers); a type error, a missing required field,
    a failed validation (e.g. ``priority`` out of 1..5) or any model left ``_unparsed`` (an unknown
    enum value such as a monitor type, a widget definition matching no known schema) is a problem.
    Returns the list of problems, empty when the body is valid. Unknown extra keys are accepted, as
    the client models accept additional properties.
    """
    model_class = _model_class(kind)
    received: object = body
    if not isinstance(received, dict):
        return [f"{kind}: the body must be a JSON object, not {type(received).__name__}"]
    data = json.loads(json.dumps(body))  # a private, JSON-only copy: the client may convert in place
    try:
        instance = _convert(data, model_class, kind)
    except Exception as exc:  # ApiTypeError, ApiValueError, TypeError (missing required), ...
        message = str(exc).replace("__init__() ", "")
        return [f"{kind}: {message}"]
    errors: list[str] = []
    _diagnose(instance, kind, errors)
    if not errors and getattr(instance, "_unparsed", False):
        errors.append(f"{kind}: the client could not parse this body: {_short(body)}")
    return errors


# --------------------------------------------------------------------------------------------------
# Monitor query validation (metric / query alerts)
# --------------------------------------------------------------------------------------------------

_QUERY_ERROR = "The value provided for parameter 'query' is invalid: "
_COMPARATORS = ("<=", ">=", "==", "!=", "<", ">")
_TIME_AGGREGATIONS = ("avg", "sum", "min", "max", "percentile")
_CHANGE_AGGREGATIONS = ("change", "pct_change")
_LAST_WINDOW = re.compile(r"last_(\d+)(m|h|d|w)")
_CURRENT_WINDOW = re.compile(r"current_(1d|1w|1mo|1y)")
_TIMESHIFT = re.compile(r"(\d+)(m|h|d|w)_ago")
_WINDOW_LIMITS = {"m": 10080, "h": 168, "d": 7, "w": 1}
_CHANGE_WINDOW_LIMITS = {"m": 2880, "h": 48, "d": 2}
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_METRIC_TYPES = ("metric alert", "query alert")
_PAIRS = {"(": ")", "{": "}", "[": "]"}


def _balance_error(text: str) -> str | None:
    stack: list[str] = []
    quote: str | None = None
    for char in text:
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in _PAIRS:
            stack.append(_PAIRS[char])
        elif char in _PAIRS.values() and (not stack or stack.pop() != char):
            return f"unbalanced {char!r}"
    if quote:
        return f"unterminated {quote} quote"
    if stack:
        return f"unbalanced brackets, missing {stack[-1]!r}"
    return None


def _top_level_comparator(text: str) -> tuple[int, str] | None:
    """Position and text of the last comparator outside any bracket or quote."""
    depth = 0
    quote: str | None = None
    found: tuple[int, str] | None = None
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in _PAIRS:
            depth += 1
        elif char in _PAIRS.values():
            depth -= 1
        elif depth == 0:
            for op in _COMPARATORS:
                if text.startswith(op, index):
                    found = (index, op)
                    index += len(op) - 1
                    break
        index += 1
    return found


def _window_error(window: str, limits: dict[str, int]) -> str | None:
    last = _LAST_WINDOW.fullmatch(window)
    if last:
        amount, unit = int(last.group(1)), last.group(2)
        if unit not in limits or not 1 <= amount <= limits[unit]:
            return f"invalid timeframe {window!r}"
        return None
    if _CURRENT_WINDOW.fullmatch(window) and limits is _WINDOW_LIMITS:
        return None
    return f"invalid timeframe {window!r} (expected e.g. last_5m, last_1h, last_1d)"


def _metric_query_errors(query: str) -> tuple[list[str], float | None]:
    """Errors of a metric/query alert query, and the threshold number it compares to."""
    unbalanced = _balance_error(query)
    if unbalanced:
        return [_QUERY_ERROR + unbalanced], None
    comparator = _top_level_comparator(query)
    if comparator is None:
        return [_QUERY_ERROR + "invalid operator specified: expected one of " + ", ".join(_COMPARATORS)], None
    position, op = comparator
    left, right = query[:position].strip(), query[position + len(op) :].strip()
    errors: list[str] = []
    threshold: float | None = None
    if not _NUMBER.fullmatch(right):
        errors.append(_QUERY_ERROR + f"the threshold after {op!r} must be a number, got {right!r}")
    else:
        threshold = float(right)
    head = re.match(r"([A-Za-z_]+)\(", left)
    if not head:
        errors.append(_QUERY_ERROR + "expected <time_aggr>(<time_window>):<metric query>")
        return errors, threshold
    aggregation = head.group(1)
    depth, close = 0, -1
    for index in range(head.end() - 1, len(left)):
        if left[index] == "(":
            depth += 1
        elif left[index] == ")":
            depth -= 1
            if depth == 0:
                close = index
                break
    inner = left[head.end() : close].strip()
    rest = left[close + 1 :]
    if not rest.startswith(":") or not re.search(r"[A-Za-z]", rest[1:]):
        errors.append(_QUERY_ERROR + "expected ':<metric query>' after the time aggregation")
    if aggregation in _CHANGE_AGGREGATIONS:
        change = re.fullmatch(r"([a-z_]+)\((\w+)\)\s*,\s*(\w+)", inner)
        if not change:
            errors.append(_QUERY_ERROR + f"expected {aggregation}(<time_aggr>(<time_window>),<timeshift>)")
        else:
            if change.group(1) not in ("avg", "sum", "min", "max"):
                errors.append(_QUERY_ERROR + f"unknown time aggregation {change.group(1)!r}")
            window_error = _window_error(change.group(2), _CHANGE_WINDOW_LIMITS)
            if window_error:
                errors.append(_QUERY_ERROR + window_error)
            shift = change.group(3)
            if not _TIMESHIFT.fullmatch(shift) and _window_error(shift, _CHANGE_WINDOW_LIMITS):
                errors.append(_QUERY_ERROR + f"invalid timeshift {shift!r}")
    elif aggregation in _TIME_AGGREGATIONS:
        window_error = _window_error(inner, _WINDOW_LIMITS)
        if window_error:
            errors.append(_QUERY_ERROR + window_error)
    else:
        known = ", ".join(_TIME_AGGREGATIONS + _CHANGE_AGGREGATIONS)
        errors.append(_QUERY_ERROR + f"unknown time aggregation {aggregation!r} (expected one of {known})")
    return errors, threshold


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate_monitor(monitor: dict[str, Any]) -> list[str]:
    """Semantic checks the service runs on a (complete) monitor, beyond the model check.

    For ``metric alert``/``query alert``: the query shape
    ``<time_aggr>(<time_window>):<expr> <comparator> <number>`` (balanced brackets, a known time
    aggregation, a valid timeframe, a comparator and a number) and ``options.thresholds.critical``
    equal to the number in the query. Other types only need a non-empty query. ``priority``, when
    set, must be 1..5 (the client model does not check that range).
    """
    query = monitor.get("query")
    if not isinstance(query, str) or not query.strip():
        return ["The value provided for parameter 'query' is invalid: the query is empty"]
    priority = monitor.get("priority")
    if priority is not None and (not isinstance(priority, int) or not 1 <= priority <= 5):
        return ["The value provided for parameter 'priority' is invalid: it must be an integer from 1 to 5"]
    if monitor.get("type") not in _METRIC_TYPES:
        return []
    errors, threshold = _metric_query_errors(query)
    options = monitor.get("options")
    thresholds = options.get("thresholds") if isinstance(options, dict) else None
    critical: Any = thresholds.get("critical") if isinstance(thresholds, dict) else None
    if threshold is not None and _is_number(critical) and float(critical) != threshold:
        errors.append(
            f"Alert threshold ({float(critical)}) does not match that used in the query ({threshold})."
        )
    return errors


# --------------------------------------------------------------------------------------------------
# Emulator
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received (credentials are never recorded).

    It is appended to ``DatadogEmulator.requests`` when the request has been handled, i.e. after any
    ``latency`` or ``slow`` delay; ``body`` is the parsed JSON (the raw text if it was not JSON, None
    if empty); ``fault`` names the injected fault that hit it, if any.
    """

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int | None  # None when the answer was dropped
    fault: str | None = None


@dataclass
class _Fault:
    kind: str
    method: str | None
    path: str | None
    remaining: int
    params: dict[str, Any]

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or path.startswith(self.path)


@dataclass
class _Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class _ApiError(Exception):
    def __init__(self, status: int, *messages: str) -> None:
        super().__init__(status, messages)
        self.status = status
        self.messages = list(messages)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _floats(thresholds: Any) -> Any:
    if not isinstance(thresholds, dict):
        return thresholds
    return {k: float(v) if _is_number(v) else v for k, v in thresholds.items()}


_MONITOR_WRITABLE = (
    "name",
    "message",
    "query",
    "tags",
    "options",
    "priority",
    "restricted_roles",
    "draft_status",
    "type",
    "assets",
)
_DASHBOARD_READ_ONLY = ("id", "author_handle", "author_name", "created_at", "modified_at", "url")
_ID_ALPHABET = string.ascii_lowercase + string.digits


def _monitor_options(options: Any) -> JSONDict:
    result: JSONDict = copy.deepcopy(options) if isinstance(options, dict) else {}
    result.setdefault("notify_no_data", False)
    result.setdefault("notify_audit", False)
    result.setdefault("include_tags", True)
    result.setdefault("silenced", {})
    if "new_host_delay" not in result:
        result["new_host_delay"] = 300
    if "thresholds" in result:
        result["thresholds"] = _floats(result["thresholds"])
    return result


def _slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9 -]", "", title.lower()).split()
    return "-".join(words)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: DatadogEmulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up leave broken sockets behind: not an emulator error.
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without this, +40 ms (delayed ACK)
    server_version = "DatadogEmulator/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # never log (no key can leak)
        return None

    def version_string(self) -> str:
        return self.server_version

    def _serve(self) -> None:
        emulator = cast(_Server, self.server).emulator
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        raw = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = emulator._process(self.command, split.path, query, headers, raw)
        if answer is None:  # drop_response: close without any HTTP answer
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = json.dumps(answer.body).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


class DatadogEmulator:
    """Local emulator of the Datadog v1 monitor and dashboard API (see the module docstring)."""

    def __init__(
        self, api_key: str = "test-api-key", app_key: str = "test-app-key", latency: float = 0.0
    ) -> None:
        self.api_key = api_key
        self.app_key = app_key
        self.latency = latency
        self.monitors: dict[int, JSONDict] = {}
        self.dashboards: dict[str, JSONDict] = {}
        self.requests: list[RecordedRequest] = []
        self.internal_errors: list[str] = []  # exceptions inside the emulator itself (should stay empty)
        self._lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._next_monitor_id = 1000
        self._next_widget_id = 1_000_000_000_000
        self._random = random.Random()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> DatadogEmulator:
        if self._server is not None:
            return self
        server = _Server((LOOPBACK, 0), _Handler)
        server.emulator = self
        host, port = server.server_address[:2]
        assert host == LOOPBACK, host
        self._server = server
        self.url = f"http://{LOOPBACK}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="datadog-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> DatadogEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- inspection and set-up ---------------------------------------------------------------------

    def request_count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_prefix is None or r.path.startswith(path_prefix))
            )

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def inject(
        self,
        fault: str,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        **params: Any,
    ) -> None:
        """Make the next ``times`` requests matching ``method``/``path`` (prefix) fail with ``fault``.

        ``"429"`` (params: ``reset`` seconds, default 1; ``limit``; ``period``), ``"500"``,
        ``"slow"`` (``delay`` seconds, required) or ``"drop_response"``.
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {sorted(FAULTS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        if fault == "slow" and not _is_number(params.get("delay")):
            raise ValueError("the 'slow' fault needs delay=<seconds>")
        with self._lock:
            self._faults.append(_Fault(fault, method, path, times, dict(params)))

    def seed_monitor(self, body: dict[str, Any]) -> JSONDict:
        """Store a monitor directly (no validation, no request recorded); ``body["id"]`` is kept if given."""
        with self._lock:
            monitor_id = body.get("id")
            if not isinstance(monitor_id, int):
                monitor_id = self._new_monitor_id()
            else:
                self._next_monitor_id = max(self._next_monitor_id, monitor_id + 1)
            monitor = self._new_monitor(body, monitor_id)
            self.monitors[monitor_id] = monitor
            return copy.deepcopy(monitor)

    def seed_dashboard(self, body: dict[str, Any]) -> JSONDict:
        """Store a dashboard directly (no validation, no request recorded); keeps ``body["id"]`` if any."""
        with self._lock:
            dashboard_id = body.get("id")
            if not isinstance(dashboard_id, str) or not dashboard_id:
                dashboard_id = self._new_dashboard_id()
            dashboard = self._new_dashboard(body, dashboard_id)
            self.dashboards[dashboard_id] = dashboard
            return copy.deepcopy(dashboard)

    # -- request processing ------------------------------------------------------------------------

    def _process(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> _Answer | None:
        if self.latency > 0:
            time.sleep(self.latency)
        body: Any = None
        body_error: str | None = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as exc:
                body = raw.decode("utf-8", "replace")
                body_error = f"Invalid JSON: {exc}"
        path = path.rstrip("/") or "/"
        fault = self._take_fault(method, path)
        fault_kind = fault.kind if fault else None
        answer: _Answer | None
        if fault is not None and fault.kind == "429":
            answer = self._rate_limited(fault.params)
        elif fault is not None and fault.kind == "500":
            answer = _Answer(500, {"errors": ["Internal Server Error"]})
        else:
            if fault is not None and fault.kind == "slow":
                time.sleep(float(fault.params["delay"]))
            try:
                answer = self._route(method, path, query, headers, body, body_error)
            except _ApiError as exc:
                answer = _Answer(exc.status, {"errors": exc.messages})
            except Exception as exc:  # a bug in the emulator: answer 500 and keep a trace
                with self._lock:
                    self.internal_errors.append(f"{method} {path}: {type(exc).__name__}: {exc}")
                answer = _Answer(500, {"errors": [f"emulator error: {type(exc).__name__}"]})
        dropped = fault is not None and fault.kind == "drop_response"
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method=method,
                    path=path,
                    query=dict(query),
                    body=copy.deepcopy(body),
                    status=None if dropped or answer is None else answer.status,
                    fault=fault_kind,
                )
            )
        return None if dropped else answer

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @staticmethod
    def _rate_limited(params: dict[str, Any]) -> _Answer:
        limit = params.get("limit", 100)
        period = params.get("period", 10)
        reset = params.get("reset", 1)
        return _Answer(
            429,
            {
                "errors": [
                    f"Rate limit of {limit} requests in {period} seconds reached. Please try again later."
                ]
            },
            {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Period": str(period),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset),
                "X-RateLimit-Name": "monitors",
            },
        )

    def _authorised(self, path: str, headers: dict[str, str]) -> bool:
        api_ok = hmac.compare_digest(headers.get("dd-api-key", "").encode(), self.api_key.encode())
        if path == "/api/v1/validate":
            return api_ok
        app_ok = hmac.compare_digest(headers.get("dd-application-key", "").encode(), self.app_key.encode())
        return api_ok and app_ok

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
        body_error: str | None,
    ) -> _Answer:
        if not path.startswith("/api/"):
            raise _ApiError(404, f"Not found: {path}")
        if not self._authorised(path, headers):
            raise _ApiError(403, "Forbidden")
        parts = path.split("/")[1:]  # ["api", "v1", "monitor", ...]
        if body_error is not None:
            raise _ApiError(400, body_error)
        routes: dict[tuple[str, ...], dict[str, Callable[..., _Answer]]] = {
            ("api", "v1", "validate"): {"GET": lambda _query: _Answer(200, {"valid": True})},
            ("api", "v1", "monitor"): {"GET": self._list_monitors, "POST": self._create_monitor},
            ("api", "v1", "monitor", "validate"): {"POST": self._validate_monitor},
            ("api", "v1", "monitor", "*"): {
                "GET": self._get_monitor,
                "PUT": self._update_monitor,
                "DELETE": self._delete_monitor,
            },
            ("api", "v1", "monitor", "*", "validate"): {"POST": self._validate_existing_monitor},
            ("api", "v1", "dashboard"): {"GET": self._list_dashboards, "POST": self._create_dashboard},
            ("api", "v1", "dashboard", "*"): {
                "GET": self._get_dashboard,
                "PUT": self._update_dashboard,
                "DELETE": self._delete_dashboard,
            },
        }
        key = tuple(parts)
        args: list[Any] = []
        if key not in routes and len(parts) >= 4:
            key = (*parts[:3], "*", *parts[4:])
            args = [parts[3]]
        handlers = routes.get(key)
        if handlers is None:
            raise _ApiError(404, f"Not found: {path}")
        handler = handlers.get(method)
        if handler is None:
            raise _ApiError(405, f"Method {method} not allowed on {path}")
        if method in ("POST", "PUT") and key != ("api", "v1", "validate"):
            if not isinstance(body, dict):
                raise _ApiError(400, "Invalid JSON: the body must be a JSON object")
            args.append(body)
        if method == "GET":
            args.append(query)
        return handler(*args)

    # -- monitors ----------------------------------------------------------------------------------

    def _new_monitor_id(self) -> int:
        monitor_id = self._next_monitor_id
        self._next_monitor_id += 1
        return monitor_id

    def _new_monitor(self, body: JSONDict, monitor_id: int) -> JSONDict:
        now = _now()
        monitor: JSONDict = {
            "id": monitor_id,
            "org_id": ORG_ID,
            "type": None,
            "name": "",
            "message": "",
            "tags": [],
            "query": "",
            "options": {},
            "multi": False,
            "created_at": int(now.timestamp() * 1000),
            "created": now.isoformat(),
            "modified": now.isoformat(),
            "deleted": None,
            "priority": None,
            "restricted_roles": None,
            "restriction_policy": None,
            "draft_status": "published",
            "matching_downtimes": [],
            "overall_state_modified": None,
            "overall_state": "No Data",
            "creator": dict(CREATOR),
        }
        self._apply_monitor_fields(monitor, body)
        return monitor

    @staticmethod
    def _apply_monitor_fields(monitor: JSONDict, body: JSONDict) -> None:
        for key in _MONITOR_WRITABLE:
            if key in body:
                monitor[key] = copy.deepcopy(body[key])
        if monitor.get("type") == "metric alert":
            monitor["type"] = "query alert"
        if isinstance(monitor.get("tags"), list):
            monitor["tags"] = sorted(monitor["tags"], key=str)
        if monitor.get("message") is None:
            monitor["message"] = ""
        monitor["options"] = _monitor_options(monitor.get("options"))
        query = monitor.get("query")
        monitor["multi"] = isinstance(query, str) and re.search(r"\bby\s*[{(]", query) is not None

    def _check_monitor(self, kind: str, body: JSONDict, merged: JSONDict) -> None:
        errors = check_datadog_model(kind, body)
        if not errors:
            errors = validate_monitor(merged)
        if errors:
            raise _ApiError(400, *errors)

    def _list_monitors(self, query: dict[str, str]) -> _Answer:
        def integer(name: str) -> int | None:
            if name not in query or query[name] == "":
                return None
            try:
                return int(query[name])
            except ValueError:
                raise _ApiError(400, f"Invalid value for parameter '{name}': {query[name]!r}") from None

        page, page_size, id_offset = integer("page"), integer("page_size"), integer("id_offset")
        if page_size is not None and not 0 < page_size <= MAX_PAGE_SIZE:
            raise _ApiError(400, f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if page is not None and page < 0:
            raise _ApiError(400, "page must be >= 0")
        wanted_tags = [t.strip() for t in query.get("monitor_tags", "").split(",") if t.strip()]
        scope_tags = [t.strip() for t in query.get("tags", "").split(",") if t.strip()]
        name = query.get("name", "").lower()
        with self._lock:
            found = [
                copy.deepcopy(m)
                for _, m in sorted(self.monitors.items())
                if all(t in (m.get("tags") or []) for t in wanted_tags)
                and all(t in str(m.get("query", "")) for t in scope_tags)
                and name in str(m.get("name", "")).lower()
                and (id_offset is None or m["id"] > id_offset)
            ]
        if page is not None:
            size = page_size or DEFAULT_PAGE_SIZE
            found = found[page * size : (page + 1) * size]
        return _Answer(200, found)

    def _create_monitor(self, body: JSONDict) -> _Answer:
        self._check_monitor("monitor", body, body)
        with self._lock:
            monitor_id = self._new_monitor_id()
            monitor = self._new_monitor(body, monitor_id)
            self.monitors[monitor_id] = monitor
            return _Answer(200, copy.deepcopy(monitor))

    def _validate_monitor(self, body: JSONDict) -> _Answer:
        self._check_monitor("monitor", body, body)
        return _Answer(200, {})

    def _monitor_id(self, raw: str) -> int:
        try:
            return int(raw)
        except ValueError:
            raise _ApiError(404, "Monitor not found") from None

    def _stored_monitor(self, raw_id: str) -> JSONDict:
        monitor = self.monitors.get(self._monitor_id(raw_id))
        if monitor is None:
            raise _ApiError(404, "Monitor not found")
        return monitor

    def _get_monitor(self, raw_id: str, query: dict[str, str]) -> _Answer:
        with self._lock:
            return _Answer(200, copy.deepcopy(self._stored_monitor(raw_id)))

    def _merged_update(self, stored: JSONDict, body: JSONDict) -> JSONDict:
        self._check_monitor("monitor_update", body, {**stored, **body})
        new_type = body.get("type")
        if new_type not in (None, stored["type"]) and {new_type, stored["type"]} != set(_METRIC_TYPES):
            raise _ApiError(
                400, f"The monitor type cannot be changed from {stored['type']!r} to {new_type!r}"
            )
        merged = copy.deepcopy(stored)
        self._apply_monitor_fields(merged, body)
        return merged

    def _update_monitor(self, raw_id: str, body: JSONDict) -> _Answer:
        with self._lock:
            stored = self._stored_monitor(raw_id)
            merged = self._merged_update(stored, body)
            merged["modified"] = _now().isoformat()
            self.monitors[stored["id"]] = merged
            return _Answer(200, copy.deepcopy(merged))

    def _validate_existing_monitor(self, raw_id: str, body: JSONDict) -> _Answer:
        with self._lock:
            self._merged_update(self._stored_monitor(raw_id), body)
        return _Answer(200, {})

    def _delete_monitor(self, raw_id: str) -> _Answer:
        with self._lock:
            monitor = self._stored_monitor(raw_id)
            del self.monitors[monitor["id"]]
            return _Answer(200, {"deleted_monitor_id": monitor["id"]})

    # -- dashboards --------------------------------------------------------------------------------

    def _new_dashboard_id(self) -> str:
        while True:
            parts = ["".join(self._random.choice(_ID_ALPHABET) for _ in range(3)) for _ in range(3)]
            dashboard_id = "-".join(parts)
            if dashboard_id not in self.dashboards:
                return dashboard_id

    def _assign_widget_ids(self, widgets: Any) -> None:
        if not isinstance(widgets, list):
            return
        for widget in widgets:
            if not isinstance(widget, dict):
                continue
            if not isinstance(widget.get("id"), int):
                widget["id"] = self._next_widget_id
                self._next_widget_id += 1
            definition = widget.get("definition")
            if isinstance(definition, dict):
                self._assign_widget_ids(definition.get("widgets"))

    def _new_dashboard(self, body: JSONDict, dashboard_id: str, previous: JSONDict | None = None) -> JSONDict:
        now = _now().isoformat()
        dashboard: JSONDict = {k: copy.deepcopy(v) for k, v in body.items() if k not in _DASHBOARD_READ_ONLY}
        dashboard.setdefault("description", None)
        dashboard.setdefault("is_read_only", False)
        dashboard.setdefault("template_variables", None)
        dashboard.setdefault("notify_list", None)
        dashboard.setdefault("restricted_roles", [])
        dashboard.setdefault("widgets", [])
        self._assign_widget_ids(dashboard["widgets"])
        dashboard.update(
            {
                "id": dashboard_id,
                "author_handle": previous["author_handle"] if previous else CREATOR["handle"],
                "author_name": previous["author_name"] if previous else CREATOR["name"],
                "url": f"/dashboard/{dashboard_id}/{_slug(str(dashboard.get('title', '')))}",
                "created_at": previous["created_at"] if previous else now,
                "modified_at": now,
            }
        )
        return dashboard

    def _stored_dashboard(self, dashboard_id: str) -> JSONDict:
        dashboard = self.dashboards.get(dashboard_id)
        if dashboard is None:
            raise _ApiError(404, f"Dashboard with ID {dashboard_id} not found")
        return dashboard

    def _check_dashboard(self, body: JSONDict) -> None:
        errors = check_datadog_model("dashboard", body)
        if errors:
            raise _ApiError(400, *errors)

    def _list_dashboards(self, query: dict[str, str]) -> _Answer:
        try:
            start = int(query.get("start") or 0)
            count = int(query["count"]) if query.get("count") else None
        except ValueError:
            raise _ApiError(400, "Invalid value for parameter 'start' or 'count'") from None
        if start < 0 or (count is not None and count < 0):
            raise _ApiError(400, "start and count must be >= 0")
        keys = (
            "author_handle",
            "created_at",
            "description",
            "id",
            "is_read_only",
            "layout_type",
            "modified_at",
            "title",
            "url",
        )
        with self._lock:
            summaries = [{k: copy.deepcopy(d.get(k)) for k in keys} for d in self.dashboards.values()]
        end = None if count is None else start + count
        return _Answer(200, {"dashboards": summaries[start:end]})

    def _create_dashboard(self, body: JSONDict) -> _Answer:
        self._check_dashboard(body)
        with self._lock:
            dashboard_id = self._new_dashboard_id()
            dashboard = self._new_dashboard(body, dashboard_id)
            self.dashboards[dashboard_id] = dashboard
            return _Answer(200, copy.deepcopy(dashboard))

    def _get_dashboard(self, dashboard_id: str, query: dict[str, str]) -> _Answer:
        with self._lock:
            return _Answer(200, copy.deepcopy(self._stored_dashboard(dashboard_id)))

    def _update_dashboard(self, dashboard_id: str, body: JSONDict) -> _Answer:
        with self._lock:
            self._stored_dashboard(dashboard_id)  # 404 before 400
        self._check_dashboard(body)
        with self._lock:
            previous = self._stored_dashboard(dashboard_id)
            dashboard = self._new_dashboard(body, dashboard_id, previous)
            self.dashboards[dashboard_id] = dashboard
            return _Answer(200, copy.deepcopy(dashboard))

    def _delete_dashboard(self, dashboard_id: str) -> _Answer:
        with self._lock:
            self._stored_dashboard(dashboard_id)
            del self.dashboards[dashboard_id]
            return _Answer(200, {"deleted_dashboard_id": dashboard_id})
