"""Rendered payloads against the official schemas, and the project's own checks of what they miss."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitors import (
    Config,
    DesiredState,
    DurationSettings,
    ErrorSettings,
    FunctionSpec,
    Overrides,
    ThrottleSettings,
    expand,
    load_config,
    validate_state,
)
from monitors.validate import (
    DATADOG_MONITOR_TYPES,
    check_cloudwatch_alarm,
    check_cloudwatch_params,
    check_datadog_model,
    check_datadog_monitor,
    is_valid_extended_statistic,
)

DATA = Path(__file__).parent / "data" / "monitors"
FILES = sorted(DATA.glob("*.yaml"))


def all_states() -> list[DesiredState]:
    return [expand(load_config(path)) for path in FILES]


@pytest.fixture(scope="module")
def realistic() -> DesiredState:
    return expand(load_config(DATA / "screen-resize.yaml"))


def alarm_payload(state: DesiredState, key: str) -> dict[str, Any]:
    return next(a.payload() for a in state.cloudwatch_alarms if a.key == key)


def monitor_payload(state: DesiredState, key: str) -> dict[str, Any]:
    return next(m.payload() for m in state.datadog_monitors if m.key == key)


# ------------------------------------------------------------------ every rendered payload is valid


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_rendered_payload_passes_every_check(path: Path) -> None:
    state = expand(load_config(path))
    assert state.datadog_monitors and state.cloudwatch_alarms
    assert validate_state(state) == []
    for monitor in state.datadog_monitors:
        assert check_datadog_model(monitor.payload()) == [], monitor.key
    for alarm in state.cloudwatch_alarms:
        assert check_cloudwatch_params(alarm.payload()) == [], alarm.key


def test_moto_accepts_and_stores_every_alarm(realistic: DesiredState) -> None:
    """The kwargs really are ``put_metric_alarm`` arguments (moto runs botocore's full client path)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        for alarm in realistic.cloudwatch_alarms:
            client.put_metric_alarm(**alarm.payload())
        stored = client.describe_alarms(AlarmNamePrefix="lambda-monitors-screen-resize-")["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in stored) == sorted(a.alarm_name for a in realistic.cloudwatch_alarms)


thresholds = st.one_of(st.none(), st.just(False), st.integers(1, 10_000))
percent = st.one_of(st.none(), st.just(False), st.floats(0.01, 100, allow_nan=False).map(lambda x: round(x, 2)))
windows = st.one_of(st.none(), st.integers(1, 1440))


@st.composite
def configs(draw: st.DrawFn) -> Config:
    def overrides() -> dict[str, Any]:
        return {
            "duration": draw(
                st.one_of(
                    st.just(False),
                    st.builds(DurationSettings, p99_ms=thresholds, timeout_pct=percent, window_min=windows),
                )
            ),
            "errors": draw(st.one_of(st.just(False), st.builds(ErrorSettings, count=thresholds, rate_pct=percent))),
            "throttles": draw(st.one_of(st.just(False), st.builds(ThrottleSettings, count=thresholds))),
            "window_min": draw(windows),
        }

    names = draw(st.lists(st.from_regex(r"[A-Za-z0-9_\-]{1,64}", fullmatch=True), min_size=1, max_size=3))
    unique = list({n.lower(): n for n in names}.values())
    return Config(
        service=draw(st.from_regex(r"[a-z0-9][a-z0-9_.\-]{0,99}", fullmatch=True)),
        env=draw(st.one_of(st.none(), st.from_regex(r"[a-z0-9][a-z0-9_.\-]{0,20}", fullmatch=True))),
        defaults=Overrides(**overrides()),
        functions=tuple(FunctionSpec(name=name, timeout_s=draw(st.integers(1, 900)), **overrides()) for name in unique),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_any_valid_config_renders_payloads_the_apis_accept(config: Config) -> None:
    state = expand(config)
    assert validate_state(state) == []
    for monitor in state.datadog_monitors:
        assert check_datadog_model(monitor.payload()) == []
    for alarm in state.cloudwatch_alarms:
        assert check_cloudwatch_params(alarm.payload()) == []


def test_our_monitor_types_are_the_clients() -> None:
    from datadog_api_client.v1.model.monitor_type import MonitorType

    assert set(MonitorType.allowed_values) >= DATADOG_MONITOR_TYPES
    assert "query alert" in DATADOG_MONITOR_TYPES


# ----------------------------------------------------------------------- official schemas catch...


def test_botocore_catches_wrong_types_unknown_and_missing_params(realistic: DesiredState) -> None:
    payload = alarm_payload(realistic, "screen-resize/errors-count")
    payload["Period"] = "900"
    payload["Bogus"] = 1
    payload["Tags"][0]["Key"] = ""
    del payload["AlarmName"]
    problems = check_cloudwatch_params(payload)
    assert problems[0] == 'Missing required parameter in input: "AlarmName"'
    assert problems[1].startswith('Unknown parameter in input: "Bogus", must be one of: AlarmName,')
    assert "Invalid type for parameter Period, value: 900" in problems[2]
    assert problems[3].startswith("Invalid length for parameter Tags[0].Key, value: 0")
    assert len(problems) == 4


def test_datadog_model_catches_bad_types_unknown_types_and_foreign_keys(realistic: DesiredState) -> None:
    body = monitor_payload(realistic, "screen-resize/errors-rate")

    bad_type = copy.deepcopy(body) | {"type": "metrics alert"}
    assert check_datadog_model(bad_type) == ["body.type: value not understood by the Datadog model"]

    bad_threshold = copy.deepcopy(body)
    bad_threshold["options"]["thresholds"]["critical"] = "high"
    (problem,) = check_datadog_model(bad_threshold)
    assert "critical" in problem and "float" in problem

    foreign = copy.deepcopy(body) | {"id": 12, "colour": "red"}
    foreign["options"]["evaluation_dealy"] = 900
    assert check_datadog_model(foreign) == [
        "id: read-only in the Datadog Monitor model",
        "colour: not a field of the Datadog Monitor model",
        "options.evaluation_dealy: not a field of the Datadog MonitorOptions model",
    ]


# -------------------------------------------------------------------- project checks: CloudWatch


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"Period": 45}, "Period 45 is not allowed; use 10, 20, 30 or a multiple of 60 seconds"),
        ({"Period": 90}, "Period 90 is not allowed; use 10, 20, 30 or a multiple of 60 seconds"),
        ({"Statistic": "Sum"}, "exactly one of Statistic and ExtendedStatistic must be set"),
        ({"ExtendedStatistic": "p999x"}, "ExtendedStatistic 'p999x' is not a valid percentile"),
        ({"ExtendedStatistic": "p100.5"}, "ExtendedStatistic 'p100.5' is not a valid percentile"),
        ({"DatapointsToAlarm": 2}, "DatapointsToAlarm 2 must be between 1 and EvaluationPeriods (1)"),
        ({"AlarmName": "x" * 256}, "AlarmName must be 1-255 characters, got 256"),
        ({"AlarmName": "someone-elses-alarm"}, "does not start with the ownership prefix"),
        ({"AlarmDescription": "d" * 1025}, "AlarmDescription is 1025 characters; at most 1024"),
        ({"TreatMissingData": "zero"}, "TreatMissingData must be one of"),
        ({"ComparisonOperator": "Above"}, "ComparisonOperator 'Above' is not one CloudWatch knows"),
        ({"EvaluationPeriods": 97, "DatapointsToAlarm": 1}, "Period x EvaluationPeriods = 87300 s exceeds 86400 s"),
        ({"AlarmActions": ["arn:x"] * 6}, "AlarmActions has 6 entries; at most 5"),
        ({"Tags": []}, "the ownership tag managed-by=lambda-monitors is missing"),
    ],
)
def test_cloudwatch_rules(realistic: DesiredState, change: dict[str, Any], problem: str) -> None:
    payload = alarm_payload(realistic, "screen-resize/duration-p99") | change
    problems = check_cloudwatch_alarm(payload, prefix="lambda-monitors-screen-resize-")
    assert any(problem in p for p in problems), problems
    assert check_cloudwatch_alarm(alarm_payload(realistic, "screen-resize/duration-p99")) == []


def test_low_sample_option_needs_a_percentile(realistic: DesiredState) -> None:
    payload = alarm_payload(realistic, "screen-resize/errors-count") | {"EvaluateLowSampleCountPercentile": "ignore"}
    assert check_cloudwatch_alarm(payload) == ["EvaluateLowSampleCountPercentile only applies to percentile statistics"]


def test_metric_math_shape_rules(realistic: DesiredState) -> None:
    payload = alarm_payload(realistic, "screen-resize/errors-rate")
    payload["Metrics"][0]["Id"] = "Errors"
    payload["Metrics"][1]["ReturnData"] = True
    payload["Metrics"][1]["MetricStat"]["Period"] = 45
    del payload["Metrics"][2]["ReturnData"]
    payload["Period"] = 60
    assert check_cloudwatch_alarm(payload) == [
        "a metric math alarm (Metrics) must not also set Period",
        "Metrics[0].Id 'Errors' must start with a lowercase letter (then letters, digits, '_')",
        "Metrics[1].MetricStat.Period 45 is not allowed; use 10, 20, 30 or a multiple of 60 seconds",
        "Metrics[2].ReturnData must be set explicitly in an alarm (it defaults to true)",
        "Metrics[2].Expression refers to unknown ids: errors",
    ]


def test_metric_math_needs_exactly_one_result(realistic: DesiredState) -> None:
    payload = alarm_payload(realistic, "screen-resize/errors-rate")
    payload["Metrics"][2]["ReturnData"] = False
    assert check_cloudwatch_alarm(payload) == ["exactly one entry of Metrics must have ReturnData true, found 0"]


@pytest.mark.parametrize(
    "stat",
    [
        "p0",
        "p99",
        "p99.9",
        "p100",
        "tm90",
        "tc99.5",
        "ts90",
        "wm90",
        "IQM",
        "PR(100:2000)",
        "PR(:300)",
        "TM(10%:90%)",
        "WM(25%:75%)",
    ],
)
def test_valid_extended_statistics(stat: str) -> None:
    assert is_valid_extended_statistic(stat)


@pytest.mark.parametrize(
    "stat",
    ["p", "p101", "P99", "p99x", "p999x", "tm", "TM(5%:90%)", "TM(90%:10%)", "PR(:)", "avg", "Sum", ""],
)
def test_invalid_extended_statistics(stat: str) -> None:
    assert not is_valid_extended_statistic(stat)


# ----------------------------------------------------------------------- project checks: Datadog


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"type": "metrics alert"}, "monitor type 'metrics alert' is not one Datadog knows"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": "n" * 256}, "name is 256 characters; the project allows at most 255"),
        ({"query": "avg:aws.lambda.errors{*} > 5"}, "query must start with a time aggregation"),
        ({"query": "sum(last_5m):sum:aws.lambda.errors{*}"}, "query must end with a comparison such as '> 5'"),
        ({"tags": ["Team:X", "managed-by:lambda-monitors"]}, "tag 'Team:X' must start with a lowercase letter"),
        ({"tags": ["a:b"]}, "the ownership tag managed-by:lambda-monitors is missing"),
        (
            {"tags": ["managed-by:lambda-monitors"] + [f"t:{i}" for i in range(80)]},
            "81 tags; Datadog allows at most 80",
        ),
        ({"priority": 7}, "priority must be 1-5, got 7"),
    ],
)
def test_datadog_rules(realistic: DesiredState, change: dict[str, Any], problem: str) -> None:
    payload = monitor_payload(realistic, "screen-resize/errors-count") | change
    problems = check_datadog_monitor(payload)
    assert any(problem in p for p in problems), problems


def test_critical_must_equal_the_query_number(realistic: DesiredState) -> None:
    payload = monitor_payload(realistic, "screen-resize/errors-count")
    payload["options"]["thresholds"]["critical"] = 6
    assert check_datadog_monitor(payload) == ["options.thresholds.critical 6 differs from the query's threshold 5"]


def test_warning_must_be_on_the_safe_side_of_critical(realistic: DesiredState) -> None:
    above = monitor_payload(realistic, "screen-resize/errors-count")
    above["options"]["thresholds"]["warning"] = 5
    assert check_datadog_monitor(above) == ["warning 5 must be below critical 5 for '>='"]

    below = copy.deepcopy(above)
    below["query"] = below["query"].replace(">= 5", "< 5")
    below["options"]["thresholds"]["warning"] = 4
    assert check_datadog_monitor(below) == ["warning 4 must be above critical 5 for '<'"]


def test_validate_state_names_backend_and_key(realistic: DesiredState) -> None:
    from dataclasses import replace

    broken = replace(
        realistic,
        datadog_monitors=(replace(realistic.datadog_monitors[0], critical=1), *realistic.datadog_monitors),
        cloudwatch_alarms=(replace(realistic.cloudwatch_alarms[0], evaluation_periods=1, datapoints_to_alarm=3),),
    )
    assert validate_state(broken) == [
        "datadog screen-resize/duration-p99: the key is used twice",
        "datadog screen-resize/duration-p99: options.thresholds.critical 1 differs from the query's threshold 5000",
        "datadog screen-resize/duration-p99: warning 4000 must be below critical 1 for '>'",
        "cloudwatch screen-resize/duration-p99: DatapointsToAlarm 3 must be between 1 and EvaluationPeriods (1)",
    ]
