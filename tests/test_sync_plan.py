"""The pure parts of sync: normalization, the planner's rules, the retry policy and the rate-limit gate."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from monitors.sync._retry import Failure, RateLimitGate, RetryPolicy, SyncOperationError, call_with_retry
from monitors.sync._types import Action, Desired, FieldChange, Owner, Remote
from monitors.sync.backend import diff_fields
from monitors.sync.cloudwatch import normalize_alarm, split_marker, tags_digest
from monitors.sync.datadog import FIELDS, api_host_from_env, normalize_monitor
from monitors.sync.plan import PlanOptions, plan_kind

BODY: dict[str, Any] = {
    "name": "n",
    "type": "metric alert",
    "query": "avg(last_5m):avg:x{*} > 5",
    "message": "m",
    "tags": ["b:1", "a:2"],
    "options": {"thresholds": {"critical": 5, "warning": 2}, "notify_no_data": False},
}


def test_datadog_normalization_absorbs_what_the_service_changes() -> None:
    answer = {
        **BODY,
        "id": 7,
        "type": "query alert",
        "tags": ["a:2", "b:1"],
        "priority": None,
        "options": {
            "thresholds": {"critical": 5.0, "warning": 2.0, "ok": None},
            "notify_no_data": False,
            "notify_audit": False,
            "include_tags": True,
            "silenced": {},
            "new_host_delay": 300,
        },
    }
    assert diff_fields(normalize_monitor(BODY), normalize_monitor(answer), FIELDS) == []


def test_datadog_normalization_still_sees_real_changes() -> None:
    changed = {**BODY, "options": {"thresholds": {"critical": 6}}, "tags": ["a:2"]}
    fields = {c.field for c in diff_fields(normalize_monitor(changed), normalize_monitor(BODY), FIELDS)}
    assert fields == {"tags", "options.thresholds"}


def test_cloudwatch_normalization_and_marker() -> None:
    payload = {
        "AlarmName": "p-x",
        "AlarmDescription": "d [lambda-monitors service=shop tags=" + tags_digest({"a": "1"}) + "]",
        "AlarmActions": ["arn:b", "arn:a"],
        "Threshold": 5,
        "Dimensions": [{"Name": "B", "Value": "2"}, {"Name": "A", "Value": "1"}],
        "Metrics": [],
    }
    described = {
        **payload,
        "AlarmActions": ["arn:a", "arn:b"],
        "Threshold": 5.0,
        "Dimensions": payload["Dimensions"][::-1],
    }
    assert normalize_alarm(payload) == normalize_alarm(described)
    assert normalize_alarm(payload)["AlarmDescription"] == "d"
    assert split_marker("plain") == ("plain", None)
    assert tags_digest({"a": "1", "b": "2"}) == tags_digest({"b": "2", "a": "1"})


def test_api_host_from_env() -> None:
    assert api_host_from_env({}) == "https://api.datadoghq.com"
    assert api_host_from_env({"DD_SITE": "datadoghq.eu"}) == "https://api.datadoghq.eu"
    assert api_host_from_env({"DD_SITE": "x", "DD_API_HOST": "http://127.0.0.1:5/"}) == "http://127.0.0.1:5"


def desired(key: str, value: int = 1, name: str | None = None) -> Desired:
    return Desired(key=key, ident=key, name=name or f"name {key}", payload={}, fields={"v": value})


def remote(id: str, key: str | None, owner: Owner = Owner.OWNED, value: int = 1, name: str | None = None) -> Remote:
    return Remote(
        id=id,
        ident=key if key and owner is Owner.OWNED else f"id:{id}",
        name=name or f"name {key}",
        key=key,
        owner=owner,
        fields={"v": value},
        service="shop" if owner is Owner.OWNED else "other",
    )


def diff(d: Desired, r: Remote) -> list[FieldChange]:
    return diff_fields(d.fields, r.fields, ("v",))


def plan(ds: list[Desired], rs: list[Remote], *, unique: bool = False, **options: bool) -> dict[str, Action]:
    result = plan_kind("k", "thing", ds, rs, diff, names_unique=unique, options=PlanOptions(**options))
    return {f"{c.key}@{c.remote_id}": c.action for c in result.changes}


def test_plan_rules_create_update_noop() -> None:
    got = plan([desired("a"), desired("b", 2), desired("c")], [remote("1", "a"), remote("2", "b")])
    assert got == {"a@1": Action.NOOP, "b@2": Action.UPDATE, "c@None": Action.CREATE}


def test_plan_prunes_only_owned_leftovers_and_only_when_asked() -> None:
    remotes = [remote("1", "gone"), remote("2", None, Owner.UNOWNED, name="x"), remote("3", "gone2", Owner.FOREIGN)]
    assert plan([], remotes) == {}
    assert plan([], remotes, prune=True) == {"gone@1": Action.DELETE}


def test_plan_duplicates_keep_the_matching_one_and_prune_the_rest() -> None:
    got = plan([desired("a", 2)], [remote("1", "a"), remote("2", "a", value=2)], prune=True)
    assert got == {"a@2": Action.NOOP, "a@1": Action.DELETE}


def test_plan_adopt_and_blocked() -> None:
    unowned = remote("9", None, Owner.UNOWNED, name="name a")
    assert plan([desired("a")], [unowned]) == {"a@9": Action.BLOCKED}
    assert plan([desired("a")], [unowned], adopt=True) == {"a@9": Action.ADOPT}
    foreign = remote("8", "a", Owner.FOREIGN, name="name a")
    assert plan([desired("a")], [foreign]) == {"a@None": Action.CREATE}  # Datadog allows equal names
    assert plan([desired("a")], [foreign], unique=True, adopt=True) == {"a@8": Action.BLOCKED}  # CloudWatch


def test_retry_gives_up_after_the_attempts_and_lookup_prevents_duplicates() -> None:
    policy = RetryPolicy(attempts=3, base=0.001)
    calls: list[str] = []

    def flaky() -> str:
        calls.append("x")
        raise OSError("boom")

    def classify(exc: BaseException) -> Failure:
        return Failure("transient", str(exc))

    with pytest.raises(SyncOperationError) as info:
        call_with_retry(flaky, classify, policy, RateLimitGate())
    assert len(calls) == 3 and info.value.attempts == 3
    calls.clear()
    assert call_with_retry(flaky, classify, policy, RateLimitGate(), before_retry=lambda: "found") == ("found", 1)
    assert len(calls) == 1


def test_backoff_is_exponential_capped_and_jittered() -> None:
    import random

    policy = RetryPolicy(base=1.0, cap=5.0)
    rng = random.Random(1)
    delays = [policy.delay(n, rng) for n in range(6)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0 and all(d <= 5.0 for d in delays)


def test_a_429_pauses_every_worker_until_the_reset() -> None:
    gate = RateLimitGate()
    state = {"limited": True}

    def call() -> float:
        if state["limited"]:
            state["limited"] = False
            raise OSError("429")
        return time.monotonic()

    def classify(exc: BaseException) -> Failure:
        return Failure("rate_limited", "429", retry_after=0.3)

    started = time.monotonic()
    finished: list[float] = []
    first = threading.Thread(target=lambda: finished.append(call_with_retry(call, classify, RetryPolicy(), gate)[0]))
    first.start()
    time.sleep(0.05)
    gate.wait()  # another worker, arriving during the pause, waits too
    other = time.monotonic()
    first.join()
    assert other - started >= 0.3 and finished[0] - started >= 0.3
