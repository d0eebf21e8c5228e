"""Datadog monitors through the ``datadog`` package's API client (``datadog.api.Monitor``).

``datadog.api`` hides the status code and headers of a 429 (it raises ``ApiError`` with the body
only). To honour ``X-RateLimit-Reset`` without leaving the package, a ``requests`` response hook is
installed on the session the package uses (``RequestClient._session``): it remembers, per thread,
the status and the reset header of the last answer, and :meth:`DatadogMonitors.classify` reads them
right after the failed call in the same thread. The package's own retry/backoff state is neutralised
(``mute=False``; ``APIClient._max_timeouts`` raised so three timeouts do not block every call for five
minutes): the sync's retry policy decides.

Listing uses ``monitor_tags`` (the ownership marker and the service scope) with ``page``/``page_size``
until a short page. Adoption candidates (same name, no marker) are looked up by ``name`` for a few
monitors, or with one paged listing of all monitors when many would be created.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from monitors.model import DATADOG_MANAGED_OPTIONS
from monitors.ownership import MANAGED_BY_TAG, is_owned_datadog, key_from_datadog_tags, key_tag, service_tag
from monitors.sync._retry import Failure, RateLimitGate, RetryPolicy, call_with_retry
from monitors.sync._secrets import add_secret, redact
from monitors.sync._types import Desired, FieldChange, Owner, Remote
from monitors.sync.backend import RequestCounter, diff_fields

__all__ = ["DatadogClient", "DatadogMonitors", "api_host_from_env", "normalize_monitor"]

#: Option values the service fills in when absent; both sides are compared with these filled in.
OPTION_DEFAULTS: Final[Mapping[str, Any]] = {
    "notify_no_data": False,
    "include_tags": True,
    "require_full_window": False,
}
FIELDS: Final = (
    "name",
    "type",
    "query",
    "message",
    "tags",
    *(f"options.{o}" for o in DATADOG_MANAGED_OPTIONS),
    "priority",
)
MAX_PAGE_SIZE: Final = 1000

_local = threading.local()
_install_lock = threading.Lock()


def api_host_from_env(env: Mapping[str, str]) -> str:
    """``DD_API_HOST`` if set, else ``https://api.<DD_SITE>`` (``datadoghq.com`` by default)."""
    host = env.get("DD_API_HOST", "").strip()
    if host:
        return host.rstrip("/")
    site = env.get("DD_SITE", "").strip() or "datadoghq.com"
    return f"https://api.{site}"


def _number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def normalize_monitor(monitor: Mapping[str, Any]) -> dict[str, Any]:
    """The managed fields of a monitor (request body or API answer), flattened and normalized.

    ``metric alert`` reads back as ``query alert``, tags are a sorted set, thresholds are floats,
    server-filled option defaults count as set, and ``None`` means absent.
    """
    monitor_type = monitor.get("type")
    if monitor_type == "metric alert":
        monitor_type = "query alert"
    options = monitor.get("options") or {}
    out: dict[str, Any] = {
        "name": monitor.get("name"),
        "type": monitor_type,
        "query": monitor.get("query"),
        "message": monitor.get("message") or "",
        "tags": sorted({str(t) for t in monitor.get("tags") or []}),
        "priority": monitor.get("priority"),
    }
    for option in DATADOG_MANAGED_OPTIONS:
        value = options.get(option, OPTION_DEFAULTS.get(option))
        if isinstance(value, Mapping):
            value = {k: _number(v) for k, v in sorted(value.items()) if v is not None}
        out[f"options.{option}"] = _number(value)
    return out


def _remember_response(response: Any, *args: Any, **kwargs: Any) -> Any:
    _local.status = response.status_code
    _local.reset = response.headers.get("X-RateLimit-Reset")
    return response


def _install_hook(pool_size: int) -> None:
    """Create (or reuse) the package's shared session, hook it, and size its connection pools."""
    import requests
    import requests.adapters
    from datadog import api
    from datadog.api.http_client import RequestClient, _get_user_agent_header

    with _install_lock, RequestClient._session_lock:
        session = RequestClient._session
        if session is None:
            session = requests.Session()
            session.headers.update({"User-Agent": _get_user_agent_header()})
            RequestClient._session = session
        hooks = session.hooks.setdefault("response", [])
        if _remember_response not in hooks:
            hooks.append(_remember_response)
        size = max(10, pool_size)
        session.mount("https://", requests.adapters.HTTPAdapter(max_retries=api._max_retries, pool_maxsize=size))
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=size))


class DatadogClient:
    """What every Datadog backend shares: ``datadog.initialize``, request counting, retries, ``classify``."""

    def __init__(
        self,
        service: str,
        *,
        api_key: str,
        app_key: str,
        api_host: str,
        timeout: float = 30.0,
        pool_size: int = 10,
        retry: RetryPolicy | None = None,
    ) -> None:
        import datadog
        from datadog.api.api_client import APIClient

        add_secret(api_key)
        add_secret(app_key)
        self.service = service
        self.api_host = api_host
        self.retry = retry or RetryPolicy.from_env()
        self.gate = RateLimitGate()
        self.requests = RequestCounter()
        datadog.initialize(
            api_key=api_key,
            app_key=app_key,
            api_host=api_host,
            host_name="lambda-monitors",
            hostname_from_config=False,
            mute=False,
            timeout=timeout,
        )
        APIClient._max_timeouts = 1 << 30
        APIClient._backoff_timestamp = None
        APIClient._timeout_counter = 0
        _install_hook(pool_size)

    # -- plumbing ----------------------------------------------------------------------------------

    def _request(self, operation: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        _local.status = None
        _local.reset = None
        self.requests.add(operation)
        return fn(*args, **kwargs)

    def _read(self, operation: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        result, _ = call_with_retry(
            lambda: self._request(operation, fn, *args, **kwargs), self.classify, self.retry, self.gate
        )
        return result

    def classify(self, exc: BaseException) -> Failure:
        from datadog.api import exceptions as dd

        status = getattr(_local, "status", None)
        if isinstance(exc, dd.ApiError):
            body = exc.args[0] if exc.args else {}
            errors = body.get("errors") if isinstance(body, dict) else body
            message = "; ".join(str(e) for e in errors) if isinstance(errors, list) else str(errors)
            message = redact(message)
            if status == 429:
                try:
                    reset: float | None = float(getattr(_local, "reset", None) or "")
                except ValueError:
                    reset = None
                return Failure("rate_limited", f"rate limited (429): {message}", reset)
            if status == 404:
                return Failure("not_found", f"not found (404): {message}")
            where = f"{status}" if status else "error"
            return Failure("permanent", f"Datadog API {where}: {message}")
        if isinstance(exc, (dd.HTTPError, dd.HttpTimeout, dd.ClientError, dd.HttpBackoff)):
            return Failure("transient", redact(f"{type(exc).__name__}: {exc}"))
        if isinstance(exc, OSError):
            return Failure("transient", redact(f"{type(exc).__name__}: {exc}"))
        return Failure("permanent", redact(f"{type(exc).__name__}: {exc}"))


class DatadogMonitors(DatadogClient):
    """The Datadog monitor backend (see the module docstring)."""

    kind = "datadog_monitors"
    label = "Datadog monitor"
    names_unique = False

    def __init__(
        self,
        service: str,
        *,
        api_key: str,
        app_key: str,
        api_host: str,
        timeout: float = 30.0,
        pool_size: int = 10,
        retry: RetryPolicy | None = None,
        page_size: int = MAX_PAGE_SIZE,
        name_lookup_limit: int = 10,
    ) -> None:
        super().__init__(
            service,
            api_key=api_key,
            app_key=app_key,
            api_host=api_host,
            timeout=timeout,
            pool_size=pool_size,
            retry=retry,
        )
        self.page_size = page_size
        self.name_lookup_limit = name_lookup_limit

    def _remote(self, monitor: Mapping[str, Any]) -> Remote:
        tags = [t for t in monitor.get("tags") or [] if isinstance(t, str)]
        key = key_from_datadog_tags(tags)
        if is_owned_datadog(monitor, self.service):
            owner = Owner.OWNED
        elif is_owned_datadog(monitor):
            owner = Owner.FOREIGN
        else:
            owner = Owner.UNOWNED
        monitor_id = str(monitor.get("id"))
        service = next((t.split(":", 1)[1] for t in tags if t.startswith("lambda-monitors-service:")), None)
        return Remote(
            id=monitor_id,
            ident=key if key and owner is Owner.OWNED else f"id:{monitor_id}",
            name=str(monitor.get("name", "")),
            key=key,
            owner=owner,
            fields=normalize_monitor(monitor),
            service=service,
        )

    def _list(self, **params: Any) -> list[Remote]:
        from datadog.api.monitors import Monitor

        found: list[Remote] = []
        page = 0
        while True:
            batch = self._read("list", Monitor.get_all, page=page, page_size=self.page_size, **params)
            if not isinstance(batch, list):
                raise TypeError(f"unexpected monitor listing answer: {type(batch).__name__}")
            found.extend(self._remote(m) for m in batch if isinstance(m, dict))
            if len(batch) < self.page_size:
                return found
            page += 1

    # -- Backend -----------------------------------------------------------------------------------

    def desired(self, obj: Any) -> Desired:
        payload = obj.payload()
        return Desired(
            key=obj.key, ident=obj.key, name=payload["name"], payload=payload, fields=normalize_monitor(payload)
        )

    def list_owned(self) -> list[Remote]:
        return self._list(monitor_tags=f"{MANAGED_BY_TAG},{service_tag(self.service)}")

    def find_by_names(self, names: Sequence[str]) -> list[Remote]:
        from datadog.api.monitors import Monitor

        wanted = set(names)
        if not wanted:
            return []
        if len(wanted) > self.name_lookup_limit:
            return [r for r in self._list() if r.name in wanted]
        found: list[Remote] = []
        for name in sorted(wanted):
            batch = self._read("lookup", Monitor.get_all, name=name)
            found.extend(self._remote(m) for m in batch or [] if isinstance(m, dict) and m.get("name") == name)
        return found

    def verify(self, remotes: Sequence[Remote]) -> list[Remote]:
        return list(remotes)

    def diff(self, desired: Desired, remote: Remote) -> list[FieldChange]:
        return diff_fields(desired.fields, remote.fields, FIELDS)

    def validate(self, desired: Desired) -> list[str]:
        from datadog.api.exceptions import ApiError
        from datadog.api.monitors import Monitor

        def attempt() -> list[str]:
            try:
                self._request("validate", Monitor.validate, **dict(desired.payload))
            except ApiError as exc:
                if getattr(_local, "status", None) == 400:
                    body = exc.args[0] if exc.args else {}
                    errors = body.get("errors") if isinstance(body, dict) else None
                    return [redact(str(e)) for e in errors] if isinstance(errors, list) else [redact(str(body))]
                raise
            return []

        problems, _ = call_with_retry(attempt, self.classify, self.retry, self.gate)
        return problems

    def create(self, desired: Desired) -> str:
        from datadog.api.monitors import Monitor

        answer = self._request("create", Monitor.create, **dict(desired.payload))
        return str(answer["id"])

    def find_created(self, desired: Desired) -> str | None:
        tags = f"{MANAGED_BY_TAG},{service_tag(self.service)},{key_tag(desired.key)}"
        found = sorted(self._list(monitor_tags=tags), key=lambda r: int(r.id))
        return found[0].id if found else None

    def update(self, desired: Desired, remote: Remote) -> str:
        from datadog.api.monitors import Monitor

        body = dict(desired.payload)
        body.setdefault("priority", None)
        self._request("update", Monitor.update, int(remote.id), **body)
        return remote.id

    def delete(self, remotes: Sequence[Remote]) -> list[tuple[Remote, str | None]]:
        from datadog.api.monitors import Monitor

        (remote,) = remotes
        self._request("delete", Monitor.delete, int(remote.id))
        return [(remote, None)]

    def max_delete_batch(self) -> int:
        return 1
