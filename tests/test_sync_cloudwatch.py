"""CloudWatch specifics: paging (botocore Stubber, since moto ignores MaxRecords), delete batches of 100,
request counts of a no-change plan, and validation errors shown next to their object."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from emulators.aws import MotoServer
from emulators.datadog_api import DatadogEmulator

from monitors.model import CloudWatchAlarm, DatadogMonitor, DesiredState, MetricStat
from monitors.ownership import MANAGED_BY_TAG, key_tag, service_tag
from monitors.sync import Action, Engine, SyncOptions
from monitors.sync.cloudwatch import CloudWatchAlarms
from monitors.sync.datadog import DatadogMonitors
from monitors.sync.output import format_plan

PREFIX = "lambda-monitors-shop-"


def alarm(i: int, threshold: float = 1.0) -> CloudWatchAlarm:
    return CloudWatchAlarm(
        key=f"f{i}/errors",
        alarm_name=f"{PREFIX}f{i}/errors",
        description=f"errors of f{i}",
        threshold=threshold,
        comparison_operator="GreaterThanThreshold",
        metric=MetricStat(
            namespace="AWS/Lambda", metric_name="Errors", dimensions=(("FunctionName", f"f{i}"),), stat="Sum", period=60
        ),
        tags=(
            ("managed-by", "lambda-monitors"),
            ("lambda-monitors-service", "shop"),
            ("lambda-monitors-key", f"f{i}/errors"),
        ),
    )


def described(name: str) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "AlarmArn": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
        "AlarmDescription": "d [lambda-monitors service=shop tags=000000000000]",
        "Threshold": 1.0,
    }


def test_listing_follows_every_page_with_the_prefix() -> None:
    client = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    backend = CloudWatchAlarms("shop", PREFIX, client=client)
    with Stubber(client) as stub:
        base = {"AlarmNamePrefix": PREFIX, "AlarmTypes": ["MetricAlarm"]}
        stub.add_response(
            "describe_alarms",
            {"MetricAlarms": [described(f"{PREFIX}a"), described(f"{PREFIX}b")], "NextToken": "t1"},
            base,
        )
        stub.add_response(
            "describe_alarms",
            {"MetricAlarms": [described(f"{PREFIX}c")], "NextToken": "t2"},
            {**base, "NextToken": "t1"},
        )
        stub.add_response("describe_alarms", {"MetricAlarms": [described(f"{PREFIX}d")]}, {**base, "NextToken": "t2"})
        found = backend.list_owned()
        stub.assert_no_pending_responses()
    assert [r.name for r in found] == [f"{PREFIX}{x}" for x in "abcd"]
    assert all(r.owner.value == "owned" and not r.verified for r in found)


def test_deletes_go_in_batches_of_at_most_100(moto_server: MotoServer) -> None:
    state = DesiredState(
        service="shop", cloudwatch_alarms=tuple(alarm(i) for i in range(150)), alarm_name_prefix=PREFIX
    )
    Engine(state, [CloudWatchAlarms("shop", PREFIX)], SyncOptions(validate=False)).apply(
        Engine(state, [CloudWatchAlarms("shop", PREFIX)]).plan()
    )
    backend = CloudWatchAlarms("shop", PREFIX)
    engine = Engine(DesiredState(service="shop", alarm_name_prefix=PREFIX), [backend], SyncOptions(prune=True))
    plan = engine.plan()
    assert len(plan.pending) == 150
    results = engine.apply(plan)
    assert all(r.ok for r in results) and len(results) == 150
    counts = backend.requests.snapshot()
    assert counts["DeleteAlarms"] == 2
    assert counts["ListTagsForResource"] == 150  # ownership confirmed by tags before any delete
    client = boto3.client("cloudwatch")
    assert client.describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"] == []


def test_a_no_change_plan_makes_only_list_requests(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with DatadogEmulator() as emu:
        monitor = DatadogMonitor(
            key="f/errors",
            name="f errors",
            query="sum(last_5m):sum:aws.lambda.errors{functionname:f}.as_count() > 1",
            message="m",
            tags=(MANAGED_BY_TAG, service_tag("shop"), key_tag("f/errors")),
            critical=1,
        )
        state = DesiredState(
            service="shop",
            datadog_monitors=(monitor,),
            cloudwatch_alarms=tuple(alarm(i) for i in range(30)),
            alarm_name_prefix=PREFIX,
        )

        def backends() -> tuple[DatadogMonitors, CloudWatchAlarms]:
            return (
                DatadogMonitors("shop", api_key=emu.api_key, app_key=emu.app_key, api_host=emu.url),
                CloudWatchAlarms("shop", PREFIX),
            )

        engine = Engine(state, list(backends()))
        engine.apply(engine.plan())
        dd, cw = backends()
        plan = Engine(state, [dd, cw]).plan()
        assert plan.pending == [] and len(plan.changes) == 31
        assert dd.requests.snapshot() == {"list": 1}
        assert cw.requests.snapshot() == {"DescribeAlarms": 1}

        changed = DesiredState(
            service="shop",
            datadog_monitors=(monitor,),
            cloudwatch_alarms=(alarm(0, 9.0), *(alarm(i) for i in range(1, 30))),
            alarm_name_prefix=PREFIX,
        )
        dd, cw = backends()
        plan = Engine(changed, [dd, cw]).plan()
        assert [(c.key, c.action) for c in plan.pending] == [("f0/errors", Action.UPDATE)]
        assert cw.requests.snapshot() == {"DescribeAlarms": 1, "ListTagsForResource": 1}


def test_validation_errors_are_shown_next_to_their_monitor(monkeypatch: pytest.MonkeyPatch) -> None:
    with DatadogEmulator() as emu:
        bad = DatadogMonitor(
            key="f/bad",
            name="bad one",
            query="avg(last_5m):avg:x{*}",
            message="m",
            tags=(MANAGED_BY_TAG, service_tag("shop"), key_tag("f/bad")),
            critical=1,
        )
        state = DesiredState(service="shop", datadog_monitors=(bad,))
        plan = Engine(
            state, [DatadogMonitors("shop", api_key=emu.api_key, app_key=emu.app_key, api_host=emu.url)]
        ).plan()
        text = format_plan(plan)
        lines = text.splitlines()
        at = next(i for i, line in enumerate(lines) if "f/bad" in line)
        assert lines[at + 1].strip().startswith("error:")
        assert "nothing will be applied" in text
        assert plan.invalid and emu.monitors == {}
        assert os.environ.get("DD_API_KEY") is None
