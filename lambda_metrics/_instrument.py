"""``@instrument``: per-invocation metrics for a Lambda handler, flushed at the end of every call.

Per invocation it writes ``<namespace>.invocations`` (count), ``<namespace>.duration`` (histogram,
ms), ``<namespace>.cold_starts`` (count, on the first invocation of the process) and, when the
handler raises, ``<namespace>.errors`` (count, tag ``error_type:<class>``). Every line carries
``function_name:<name>`` and ``cold_start:true|false``. The default namespace is
``lambda_metrics``; names under ``aws.`` or ``datadog.`` are refused so they never collide with
Datadog's own ``aws.lambda.*`` metrics.

With ``watchdog=True`` a daemon thread writes ``<namespace>.timeouts`` and flushes shortly before
the context's deadline: a function killed by its timeout would otherwise report nothing.
"""

from __future__ import annotations

import time as _time_module
from time import perf_counter

from . import _validate
from ._errors import MetricError
from ._state import STATE, count, histogram

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, overload

    H = TypeVar("H", bound=Callable[..., Any])

DEFAULT_NAMESPACE = "lambda_metrics"
#: What an invocation can write, as (name under the namespace, type, unit, extra tag keys); every line
#: also carries TAG_KEYS. monitors' catalogue reads these, so dashboards name exactly what is written.
WRITTEN = (
    ("invocations", "count", None, ()),
    ("duration", "histogram", "millisecond", ()),
    ("cold_starts", "count", None, ()),
    ("errors", "count", None, ("error_type",)),
    ("timeouts", "count", None, ()),
)
TAG_KEYS = ("function_name", "cold_start")
DEFAULT_MARGIN_MS = 100
_RESERVED = ("aws.", "datadog.", "dd.")


def _check_namespace(namespace: str) -> str:
    _validate.check_name(f"{namespace}.invocations")
    if namespace.endswith(".") or namespace.lower().startswith(_RESERVED) or namespace.lower() in ("aws", "datadog"):
        raise MetricError("namespace", namespace, "must not end with '.' nor start with aws., datadog. or dd.")
    return namespace


class _Watchdog:
    """One daemon thread that runs an action at a deadline unless disarmed first."""

    # A class attribute, so that freezegun (which patches module globals) cannot freeze it:
    # the deadline is real time, whatever a test does to time.monotonic.
    clock = staticmethod(_time_module.monotonic)

    def __init__(self) -> None:
        import threading

        self.cond = threading.Condition()
        self.deadline: float | None = None
        self.action: Callable[[], None] | None = None
        threading.Thread(target=self._run, name="lambda-metrics-watchdog", daemon=True).start()

    def arm(self, delay_s: float, action: Callable[[], None]) -> None:
        with self.cond:
            self.deadline = self.clock() + max(delay_s, 0.0)
            self.action = action
            self.cond.notify()

    def disarm(self) -> None:
        with self.cond:
            self.deadline = None
            self.action = None

    def _run(self) -> None:
        while True:
            with self.cond:
                while self.deadline is None:
                    self.cond.wait()
                remaining = self.deadline - self.clock()
                if remaining > 0:
                    self.cond.wait(remaining)
                    continue
                action, self.action, self.deadline = self.action, None, None
            if action is not None:
                try:
                    action()
                except Exception:
                    pass


_watchdog: _Watchdog | None = None


def _get_watchdog() -> _Watchdog:
    global _watchdog
    if _watchdog is None:
        _watchdog = _Watchdog()
    return _watchdog


if TYPE_CHECKING:

    @overload
    def instrument(
        handler: H, *, namespace: str = ..., watchdog: bool = ..., watchdog_margin_ms: int = ...
    ) -> H: ...
    @overload
    def instrument(
        handler: None = None, *, namespace: str = ..., watchdog: bool = ..., watchdog_margin_ms: int = ...
    ) -> Callable[[H], H]: ...


def instrument(
    handler: H | None = None,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    watchdog: bool = False,
    watchdog_margin_ms: int = DEFAULT_MARGIN_MS,
) -> Any:
    """Decorate a Lambda handler: ``@instrument`` or ``@instrument(namespace="imaging", watchdog=True)``.

    The handler's result and its exception pass through unchanged (the same exception object);
    the library's own failures are counted and warned about, never raised into the handler.
    """
    _check_namespace(namespace)
    if not isinstance(watchdog_margin_ms, int) or watchdog_margin_ms < 0:
        raise MetricError("watchdog_margin_ms", watchdog_margin_ms, "a whole number of milliseconds >= 0")
    invocations, duration, cold_starts, errors, timeouts = (f"{namespace}.{name}" for name, *_ in WRITTEN)
    tag_cache: dict[tuple[object, bool], list[str]] = {}

    def context_tags(context: Any, cold: bool) -> list[str]:
        name = getattr(context, "function_name", None)
        key = (name, cold)
        tags = tag_cache.get(key)
        if tags is None:
            tags = [f"function_name:{name}"] if isinstance(name, str) and name else []
            tags.append("cold_start:true" if cold else "cold_start:false")
            if len(tag_cache) < 64:
                tag_cache[key] = tags
        return tags

    def decorate(fn: H) -> H:
        from functools import wraps

        @wraps(fn)
        def wrapper(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
            state = STATE
            cold = state.cold
            state.cold = False
            start = perf_counter()
            if watchdog:
                _arm(context, cold)
            try:
                return fn(event, context, *args, **kwargs)
            except Exception as err:
                try:
                    count(errors, 1, [*context_tags(context, cold), f"error_type:{type(err).__name__}"])
                except Exception:  # strict mode raising must not replace the handler's exception
                    pass
                raise
            finally:
                try:
                    if watchdog and _watchdog is not None:
                        _watchdog.disarm()
                    tags = context_tags(context, cold)
                    count(invocations, 1, tags)
                    elapsed_ms = (perf_counter() - start) * 1000.0
                    if state.fast is not None:
                        histogram(duration, elapsed_ms, tags)
                    else:  # EMF (or buffered): carry the unit
                        state.record(duration, elapsed_ms, "histogram", tags, None, WRITTEN[1][2])
                    if cold:
                        count(cold_starts, 1, tags)
                    state.flush()
                except Exception as lib_err:
                    state.warn(("instrument", type(lib_err).__name__, None), f"@instrument failed: {lib_err!r}")

        return wrapper  # type: ignore[return-value]

    def _arm(context: Any, cold: bool) -> None:
        try:
            remaining_ms = context.get_remaining_time_in_millis()
        except Exception:
            return  # no deadline to watch (a plain test call)

        def fire() -> None:
            count(timeouts, 1, context_tags(context, cold))
            STATE.flush()

        _get_watchdog().arm((remaining_ms - watchdog_margin_ms) / 1000.0, fire)

    if handler is not None:
        return decorate(handler)
    return decorate
