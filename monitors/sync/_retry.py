"""Bounded retries with exponential backoff and jitter, and one rate-limit gate shared by all workers.

A backend turns every exception into a :class:`Failure` (``classify``); this module decides whether
and when to try again:

* ``rate_limited`` (HTTP 429): every worker of that backend pauses until the service's
  ``X-RateLimit-Reset`` has passed (:class:`RateLimitGate`), then the call is repeated. These waits
  have their own, larger, bound (``max_rate_limit_waits``).
* ``transient`` (5xx, timeouts, connection errors): sleep ``base * 2**n`` (capped) with full jitter
  between 50% and 100%, at most ``attempts`` tries in all.
* ``permanent`` (4xx, validation): no retry.

``LAMBDA_MONITORS_RETRY_BASE`` / ``LAMBDA_MONITORS_RETRY_ATTEMPTS`` override the defaults (tests set
tiny values).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

__all__ = ["Failure", "FailureKind", "RateLimitGate", "RetryPolicy", "SyncOperationError", "call_with_retry"]

T = TypeVar("T")
FailureKind = Literal["rate_limited", "transient", "permanent", "not_found"]


@dataclass(frozen=True)
class Failure:
    """A classified error: what kind, a secret-free message, and for 429 the seconds until reset."""

    kind: FailureKind
    message: str
    retry_after: float | None = None


class SyncOperationError(Exception):
    """A call that failed for good (permanent error or retries exhausted); ``failure`` says why."""

    def __init__(self, failure: Failure, attempts: int) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.attempts = attempts


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` tries for transient errors, delays ``base * 2**n`` up to ``cap``."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 20.0
    max_rate_limit_waits: int = 20
    max_rate_limit_wait: float = 120.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        policy = cls()
        base = os.environ.get("LAMBDA_MONITORS_RETRY_BASE")
        attempts = os.environ.get("LAMBDA_MONITORS_RETRY_ATTEMPTS")
        try:
            if base:
                policy = cls(attempts=policy.attempts, base=float(base), cap=max(float(base), policy.cap))
            if attempts:
                policy = cls(attempts=max(1, int(attempts)), base=policy.base, cap=policy.cap)
        except ValueError:
            pass
        return policy

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to sleep before retry number ``retry`` (0-based): exponential, capped, jittered."""
        return float(min(self.cap, self.base * (2.0**retry)) * rng.uniform(0.5, 1.0))


class RateLimitGate:
    """When one worker is told to slow down, every worker of that backend waits until the reset."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._lock = threading.Lock()
        self._until = 0.0
        self._sleep = sleep
        self.pauses = 0

    def pause(self, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + max(0.0, seconds)
            if until > self._until:
                self._until = until
                self.pauses += 1

    def wait(self) -> None:
        while True:
            with self._lock:
                left = self._until - time.monotonic()
            if left <= 0:
                return
            self._sleep(left)


_rng = random.Random()
_rng_lock = threading.Lock()


def _jittered(policy: RetryPolicy, retry: int) -> float:
    with _rng_lock:
        return policy.delay(retry, _rng)


def call_with_retry(
    operation: Callable[[], T],
    classify: Callable[[BaseException], Failure],
    policy: RetryPolicy,
    gate: RateLimitGate,
    *,
    before_retry: Callable[[], T | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, int]:
    """Run ``operation`` until it succeeds; returns ``(result, attempts)``.

    ``before_retry`` runs before every repeat after a transient failure; when it returns a value, that
    value is the result (this is how a create whose answer was lost finds the object it made instead of
    making a second one). Raises :class:`SyncOperationError` when giving up.
    """
    attempts = 0
    transient = 0
    waits = 0
    while True:
        gate.wait()
        attempts += 1
        try:
            return operation(), attempts
        except Exception as exc:  # classified below; nothing unexpected is swallowed silently
            failure = classify(exc)
        if failure.kind == "rate_limited" and waits < policy.max_rate_limit_waits:
            waits += 1
            reset = failure.retry_after if failure.retry_after is not None else policy.delay(waits, _rng)
            gate.pause(min(policy.max_rate_limit_wait, reset) + _jittered(policy, 0) * 0.1)
        elif failure.kind == "transient" and transient + 1 < policy.attempts:
            sleep(_jittered(policy, transient))
            transient += 1
            if before_retry is not None:
                found = _lookup(before_retry, classify, policy, gate)
                if found is not None:
                    return found, attempts
        else:
            raise SyncOperationError(failure, attempts)


def _lookup(
    lookup: Callable[[], T | None],
    classify: Callable[[BaseException], Failure],
    policy: RetryPolicy,
    gate: RateLimitGate,
) -> T | None:
    found, _ = call_with_retry(lookup, classify, policy, gate)
    return found
