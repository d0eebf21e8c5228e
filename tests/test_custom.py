"""Custom monitors on declared metrics: what they render to on both backends, and every config error."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from emulators.aws import MotoServer
from emulators.datadog_api import check_datadog_model, validate_monitor

from monitors import ConfigErrors, DesiredState, load_config
from monitors.render import desired_state, render
from monitors.validate import check_cloudwatch_params, validate_state

DATA = Path(__file__).parent / "data" / "catalog"
SERVICE = DATA / "service.yaml"


@pytest.fixture(scope="module")
def state() -> DesiredState:
    return desired_state(load_config(SERVICE))


def datadog(state: DesiredState, key: str) -> dict[str, Any]:
    return next(m.payload() for m in state.datadog_monitors if m.key == key)


def cloudwatch(state: DesiredState, key: str) -> dict[str, Any]:
    return next(a.payload() for a in state.cloudwatch_alarms if a.key == key)


def config_file(tmp_path: Path, custom: str, cloudwatch: str = "{region: us-east-1, emf: true}") -> Path:
    path = tmp_path / "monitors.yaml"
    text = f"""
        service: svc
        env: prod
        cloudwatch: {cloudwatch}
        functions: [{{name: fn, timeout_s: 10}}]
        catalog: {DATA / "resize_metrics.py"}
        custom:
    """
    path.write_text(
        textwrap.dedent(text).lstrip("\n") + textwrap.indent(textwrap.dedent(custom).strip("\n"), "  ") + "\n"
    )
    return path


# ------------------------------------------------------------------------------------------ Datadog


def test_a_rate_of_two_counts_divides_their_as_count_sums_per_group(state: DesiredState) -> None:
    monitor = datadog(state, "custom/resize-failures")
    assert monitor["query"] == (
        "sum(last_15m):sum:resize.failures{env:prod} by {format}.as_count()"
        " / sum:resize.images{env:prod} by {format}.as_count() > 0.05"
    )
    assert monitor["name"] == "[screen-resize/prod] Resize failures"
    assert monitor["options"]["thresholds"] == {"critical": 0.05, "warning": 0.02}
    assert monitor["tags"] == [
        "managed-by:lambda-monitors",
        "lambda-monitors-service:screen-resize",
        "lambda-monitors-key:custom/resize-failures",
        "service:screen-resize",
        "env:prod",
        "team:imaging",
    ]
    assert monitor["priority"] == 2
    assert "evaluation_delay" not in monitor["options"]  # log-borne metrics are not delayed like aws.lambda.*


def test_each_metric_type_gets_its_own_query(state: DesiredState) -> None:
    assert datadog(state, "custom/output-queue-backlog")["query"] == (
        "max(last_30m):max:resize.queue_depth{env:prod} > 1000"
    )
    assert datadog(state, "custom/slow-resize")["query"] == (
        "avg(last_60m):p95:resize.resize_ms{env:prod} by {size} > 2000"
    )
    assert datadog(state, "custom/failures")["query"] == "sum(last_15m):sum:resize.failures{env:prod}.as_count() >= 10"


def test_the_message_names_the_metric_the_owner_and_who_to_notify(state: DesiredState) -> None:
    message = datadog(state, "custom/failures")["message"]
    assert message.splitlines() == [
        "{{#is_alert}}screen-resize (prod): Failures: resize.failures >= 10 count over 15 min "
        "(value: {{value}}).{{/is_alert}}",
        "{{#is_recovery}}screen-resize (prod): Failures is back to normal.{{/is_recovery}}",
        "",
        "resize.failures: Images that produced no output, by format and reason.",
        "",
        "Managed by lambda-monitors (service screen-resize, key custom/failures); "
        "change the config file, not this monitor.",
        "",
        "@slack-imaging-alerts @pagerduty-imaging",
    ]


def test_custom_monitors_follow_the_lambda_defaults(state: DesiredState) -> None:
    keys = [m.key for m in state.datadog_monitors]
    assert keys[-4:] == [
        "custom/resize-failures",
        "custom/output-queue-backlog",
        "custom/slow-resize",
        "custom/failures",
    ]
    assert render(load_config(SERVICE))["datadog_monitors"][-1]["key"] == "custom/failures"


# --------------------------------------------------------------------------------------- CloudWatch


def test_cloudwatch_rate_is_metric_math_on_the_dimensionless_emf_metrics(state: DesiredState) -> None:
    alarm = cloudwatch(state, "custom/resize-failures")
    assert alarm["AlarmName"] == "lambda-monitors-screen-resize-custom/resize-failures"
    assert alarm["Metrics"] == [
        {
            "Id": "m",
            "MetricStat": {
                "Metric": {"Namespace": "LambdaMetrics", "MetricName": "resize.failures", "Dimensions": []},
                "Period": 900,
                "Stat": "Sum",
            },
            "ReturnData": False,
        },
        {
            "Id": "total",
            "MetricStat": {
                "Metric": {"Namespace": "LambdaMetrics", "MetricName": "resize.images", "Dimensions": []},
                "Period": 900,
                "Stat": "Sum",
            },
            "ReturnData": False,
        },
        {"Id": "rate", "Expression": "m / total", "Label": "resize.failures / resize.images", "ReturnData": True},
    ]
    assert alarm["Threshold"] == 0.05
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert "All format values together" in alarm["AlarmDescription"]
    assert {"Key": "lambda-monitors-key", "Value": "custom/resize-failures"} in alarm["Tags"]


def test_cloudwatch_gauge_and_count_alarms(state: DesiredState) -> None:
    backlog = cloudwatch(state, "custom/output-queue-backlog")
    assert (backlog["Namespace"], backlog["MetricName"], backlog["Statistic"], backlog["Period"]) == (
        "LambdaMetrics",
        "resize.queue_depth",
        "Maximum",
        1800,
    )
    assert backlog["Dimensions"] == []
    failures = cloudwatch(state, "custom/failures")
    assert (failures["Statistic"], failures["ComparisonOperator"], failures["Threshold"]) == (
        "Sum",
        "GreaterThanOrEqualToThreshold",
        10.0,
    )


def test_cloudwatch_false_and_no_emf_mean_no_alarm(state: DesiredState, tmp_path: Path) -> None:
    assert "custom/slow-resize" not in [a.key for a in state.cloudwatch_alarms]
    no_emf = desired_state(
        load_config(config_file(tmp_path, "- {name: F, metric: resize.failures, critical: 1}", "{}"))
    )
    assert [m.key for m in no_emf.datadog_monitors][-1] == "custom/f"
    assert [a.key for a in no_emf.cloudwatch_alarms if a.key.startswith("custom/")] == []


def test_a_histogram_percentile_alarm_ignores_low_sample_counts(tmp_path: Path) -> None:
    path = config_file(tmp_path, "- {name: Slow, metric: resize.resize_ms, stat: p99, critical: 900, op: '>='}")
    alarm = cloudwatch(desired_state(load_config(path)), "custom/slow")
    assert (alarm["ExtendedStatistic"], alarm["EvaluateLowSampleCountPercentile"]) == ("p99", "ignore")
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_a_below_threshold_monitor(tmp_path: Path) -> None:
    path = config_file(
        tmp_path, "- {name: Too few images, metric: resize.images, op: '<', critical: 10, warning: 20, window: 1h}"
    )
    state = desired_state(load_config(path))
    assert datadog(state, "custom/too-few-images")["query"] == (
        "sum(last_60m):sum:resize.images{env:prod}.as_count() < 10"
    )
    assert cloudwatch(state, "custom/too-few-images")["ComparisonOperator"] == "LessThanThreshold"


# ------------------------------------------------------------------------------------ schema checks


def test_every_payload_passes_project_rules_and_official_models(state: DesiredState) -> None:
    assert validate_state(state) == []
    for monitor in state.datadog_monitors:
        assert check_datadog_model("monitor", monitor.payload()) == [], monitor.key
        assert validate_monitor(monitor.payload()) == [], monitor.key
    for alarm in state.cloudwatch_alarms:
        assert check_cloudwatch_params(alarm.payload()) == [], alarm.key


def test_custom_alarms_round_trip_through_moto(state: DesiredState, moto_server: MotoServer) -> None:
    import boto3

    client = boto3.client("cloudwatch", region_name="us-east-1")
    for alarm in state.cloudwatch_alarms:
        if alarm.key.startswith("custom/"):
            client.put_metric_alarm(**alarm.payload())
    stored = client.describe_alarms(AlarmNamePrefix="lambda-monitors-screen-resize-custom/")["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in stored) == [
        "lambda-monitors-screen-resize-custom/failures",
        "lambda-monitors-screen-resize-custom/output-queue-backlog",
        "lambda-monitors-screen-resize-custom/resize-failures",
    ]


# ------------------------------------------------------------------------------------ config errors


@pytest.mark.parametrize(
    ("custom", "expected"),
    [
        pytest.param(
            "- {name: X, metric: resize.failure, critical: 1}",
            "monitors.yaml:7: custom[0].metric: metric 'resize.failure' is not declared in the catalogue "
            f"'{DATA / 'resize_metrics.py'}' (did you mean 'resize.failures'?)",
            id="unknown-metric",
        ),
        pytest.param(
            "- {name: X, metric: resize.images, rate_of: resize.failures, by: [reason], critical: 1}",
            "monitors.yaml:7: custom[0].by[0]: tag key 'reason' is not declared on 'resize.images' (declared: format)",
            id="tag-key-not-declared",
        ),
        pytest.param(
            "- {name: X, metric: resize.queue_depth, rate_of: resize.images, critical: 1}",
            "monitors.yaml:7: custom[0].metric: a rate divides two counts, but 'resize.queue_depth' is a gauge; "
            "watch a gauge or histogram directly, without 'rate_of'",
            id="rate-of-a-gauge",
        ),
        pytest.param(
            "- {name: X, metric: resize.images, rate_of: resize.resize_ms, critical: 1}",
            "monitors.yaml:7: custom[0].rate_of: a rate divides two counts, but 'resize.resize_ms' is a histogram; "
            "watch a gauge or histogram directly, without 'rate_of'",
            id="rate-over-a-histogram",
        ),
        pytest.param(
            "- {name: X, metric: resize.images, stat: p95, critical: 1}",
            "monitors.yaml:7: custom[0].stat: 'resize.images' is a count; allowed stat: none (a count is summed)",
            id="stat-of-a-count",
        ),
        pytest.param(
            "- {name: X, metric: resize.queue_depth, stat: p95, critical: 1}",
            "monitors.yaml:7: custom[0].stat: 'resize.queue_depth' is a gauge; allowed stat: avg, max, min",
            id="percentile-of-a-gauge",
        ),
        pytest.param(
            "- {name: X, metric: resize.pipeline, critical: 1}",
            "monitors.yaml:7: custom[0].metric: 'resize.pipeline' is a check; custom monitors watch counts, "
            "gauges and histograms",
            id="check",
        ),
        pytest.param(
            "- {name: X, metric: resize.images, critical: 5, warning: 9}",
            "monitors.yaml:7: custom[0].warning: warning threshold 9 must be below the critical threshold 5 for '>='",
            id="warning-on-the-wrong-side",
        ),
        pytest.param(
            "- {name: X, metric: resize.images, critical: 5, window: 2d}",
            "monitors.yaml:7: custom[0].window: expected a window such as '5m', '15m' or '1h' (1 minute to 24 hours), "
            "got '2d'",
            id="bad-window",
        ),
        pytest.param(
            "- {name: X, metric: resize.images, critical: 1}\n- {name: x, metric: resize.images, critical: 2}",
            "monitors.yaml:8: custom[1].name: identity key 'custom/x' is already used by custom[0]; "
            "give one of them a distinct 'key'",
            id="duplicate-key",
        ),
        pytest.param(
            "- {name: X, metric: resize.images, critical: 1, treshold: 2}",
            "monitors.yaml:7: custom[0].treshold: unknown key 'treshold'; allowed keys: name, key, metric, "
            "rate_of, by, critical, warning, op, stat, window, tags, notify, runbook, datadog, cloudwatch",
            id="unknown-key",
        ),
    ],
)
def test_each_mistake_names_file_line_and_key(tmp_path: Path, custom: str, expected: str) -> None:
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_file(tmp_path, custom))
    assert [str(e) for e in caught.value.errors] == [str(tmp_path / expected)]


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    custom = """
    - {name: A, metric: nope.a, critical: 1}
    - {name: B, metric: resize.images, by: [size], critical: 1}
    """
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_file(tmp_path, custom))
    assert [(e.line, e.path) for e in caught.value.errors] == [(7, "custom[0].metric"), (8, "custom[1].by[0]")]
