"""What each function expands to, on Datadog and on CloudWatch, and the rendered JSON snapshot."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from monitors import (
    Config,
    ConfigErrors,
    DesiredState,
    ErrorSettings,
    FunctionSpec,
    expand,
    format_state,
    load_config,
    render,
)

DATA = Path(__file__).parent / "data" / "monitors"
SNAPSHOTS = Path(__file__).parent / "snapshots"


def state_of(tmp_path: Path, text: str) -> DesiredState:
    path = tmp_path / "monitors.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return expand(load_config(path))


def datadog(state: DesiredState, key: str) -> dict[str, Any]:
    return next(m.payload() for m in state.datadog_monitors if m.key == key)


def cloudwatch(state: DesiredState, key: str) -> dict[str, Any]:
    return next(a.payload() for a in state.cloudwatch_alarms if a.key == key)


@pytest.fixture(scope="module")
def example() -> DesiredState:
    return expand(load_config(DATA / "issue-example.yaml"))


SCOPE = "functionname:screen-resize,env:prod"
MARKER = [
    "managed-by:lambda-monitors",
    "lambda-monitors-service:screen-resize",
    "lambda-monitors-key:{key}",
    "service:screen-resize",
    "env:prod",
]


# ---------------------------------------------------------------------------------- Datadog defaults


@pytest.mark.parametrize(
    ("key", "query", "critical"),
    [
        (
            "screen-resize/duration-p99",
            f"avg(last_15m):avg:aws.lambda.duration.p99{{{SCOPE}}} > 5000",
            5000,
        ),
        (
            "screen-resize/duration-timeout",
            f"max(last_15m):max:aws.lambda.duration.maximum{{{SCOPE}}} > 24000",
            24000,  # 80 % of 30 s, in milliseconds
        ),
        (
            "screen-resize/errors-count",
            f"sum(last_15m):sum:aws.lambda.errors{{{SCOPE}}}.as_count() >= 5",
            5,
        ),
        (
            "screen-resize/errors-rate",
            f"sum(last_15m):100 * sum:aws.lambda.errors{{{SCOPE}}}.as_count()"
            f" / sum:aws.lambda.invocations{{{SCOPE}}}.as_count() > 1",
            1,
        ),
        (
            "screen-resize/throttles",
            f"sum(last_15m):sum:aws.lambda.throttles{{{SCOPE}}}.as_count() >= 1",
            1,
        ),
    ],
)
def test_each_datadog_default(example: DesiredState, key: str, query: str, critical: float) -> None:
    payload = datadog(example, key)

    assert payload["type"] == "query alert"
    assert payload["query"] == query
    assert payload["options"] == {
        "thresholds": {"critical": critical},
        "evaluation_delay": 900,
        "notify_no_data": False,
        "require_full_window": False,
        "include_tags": True,
    }
    assert payload["tags"] == [t.format(key=key) for t in MARKER]
    assert "priority" not in payload


def test_datadog_message_has_alert_recovery_and_handles(example: DesiredState) -> None:
    message = datadog(example, "thumbnail/duration-timeout")["message"]
    assert message == (
        "{{#is_alert}}Lambda function thumbnail (prod): maximum duration above 8000 ms over 15 min "
        "(value: {{value}} ms).{{/is_alert}}\n"
        "{{#is_recovery}}Lambda function thumbnail (prod): maximum duration is back to normal.{{/is_recovery}}\n"
        "\n"
        "Managed by lambda-monitors (service screen-resize, key thumbnail/duration-timeout); change the config "
        "file, not this monitor.\n"
        "\n"
        "@slack-imaging-alerts"
    )


def test_datadog_name_is_stable_and_readable(example: DesiredState) -> None:
    assert [m.name for m in example.datadog_monitors][:5] == [
        "[screen-resize/prod] screen-resize: p99 duration",
        "[screen-resize/prod] screen-resize: maximum duration",
        "[screen-resize/prod] screen-resize: errors",
        "[screen-resize/prod] screen-resize: error rate",
        "[screen-resize/prod] screen-resize: throttles",
    ]


# ------------------------------------------------------------------------------- CloudWatch defaults


def test_cloudwatch_p99_duration(example: DesiredState) -> None:
    assert cloudwatch(example, "screen-resize/duration-p99") == {
        "AlarmName": "lambda-monitors-screen-resize-screen-resize/duration-p99",
        "AlarmDescription": "Lambda function screen-resize: p99 duration above 5000 ms over 15 min. Managed by "
        "lambda-monitors (service screen-resize, key screen-resize/duration-p99); change the config file.",
        "ActionsEnabled": True,
        "OKActions": [],
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:imaging-alerts"],
        "InsufficientDataActions": [],
        "MetricName": "Duration",
        "Namespace": "AWS/Lambda",
        "ExtendedStatistic": "p99",
        "Dimensions": [{"Name": "FunctionName", "Value": "screen-resize"}],
        "Period": 900,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "Threshold": 5000.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "EvaluateLowSampleCountPercentile": "ignore",
        "Tags": [
            {"Key": "managed-by", "Value": "lambda-monitors"},
            {"Key": "lambda-monitors-service", "Value": "screen-resize"},
            {"Key": "lambda-monitors-key", "Value": "screen-resize/duration-p99"},
            {"Key": "service", "Value": "screen-resize"},
            {"Key": "env", "Value": "prod"},
        ],
    }


@pytest.mark.parametrize(
    ("key", "metric", "statistic", "threshold", "operator"),
    [
        ("screen-resize/duration-timeout", "Duration", "Maximum", 24000.0, "GreaterThanThreshold"),
        ("thumbnail/duration-timeout", "Duration", "Maximum", 8000.0, "GreaterThanThreshold"),
        ("screen-resize/errors-count", "Errors", "Sum", 5.0, "GreaterThanOrEqualToThreshold"),
        ("screen-resize/throttles", "Throttles", "Sum", 1.0, "GreaterThanOrEqualToThreshold"),
    ],
)
def test_cloudwatch_single_metric_defaults(
    example: DesiredState, key: str, metric: str, statistic: str, threshold: float, operator: str
) -> None:
    payload = cloudwatch(example, key)
    assert (payload["Namespace"], payload["MetricName"], payload["Statistic"]) == ("AWS/Lambda", metric, statistic)
    assert "ExtendedStatistic" not in payload and "EvaluateLowSampleCountPercentile" not in payload
    assert payload["Dimensions"] == [{"Name": "FunctionName", "Value": key.split("/")[0]}]
    assert (payload["Threshold"], payload["ComparisonOperator"]) == (threshold, operator)


def test_cloudwatch_error_rate_is_metric_math(example: DesiredState) -> None:
    payload = cloudwatch(example, "thumbnail/errors-rate")
    metric = {"Namespace": "AWS/Lambda", "Dimensions": [{"Name": "FunctionName", "Value": "thumbnail"}]}

    assert payload["Metrics"] == [
        {
            "Id": "errors",
            "MetricStat": {"Metric": {**metric, "MetricName": "Errors"}, "Period": 900, "Stat": "Sum"},
            "ReturnData": False,
        },
        {
            "Id": "invocations",
            "MetricStat": {"Metric": {**metric, "MetricName": "Invocations"}, "Period": 900, "Stat": "Sum"},
            "ReturnData": False,
        },
        {"Id": "error_rate", "Expression": "100 * errors / invocations", "Label": "Error rate (%)", "ReturnData": True},
    ]
    for single in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Dimensions"):
        assert single not in payload
    assert (payload["Threshold"], payload["ComparisonOperator"]) == (1.0, "GreaterThanThreshold")


def test_same_keys_on_both_backends_and_switched_off_throttles(example: DesiredState) -> None:
    expected = [
        f"{fn}/{item}"
        for fn in ("screen-resize", "thumbnail")
        for item in ("duration-p99", "duration-timeout", "errors-count", "errors-rate", "throttles")
        if (fn, item) != ("thumbnail", "throttles")
    ]
    assert [m.key for m in example.datadog_monitors] == expected
    assert [a.key for a in example.cloudwatch_alarms] == expected
    assert all(a.alarm_name == "lambda-monitors-screen-resize-" + a.key for a in example.cloudwatch_alarms)


# ---------------------------------------------------------------------------------------- overrides


def test_overrides_warnings_windows_runbook_and_settings(tmp_path: Path) -> None:
    state = state_of(
        tmp_path,
        """
        service: svc
        tags: ["team:imaging"]
        datadog: {evaluation_delay_s: 600, priority: 2, renotify_interval_min: 30}
        cloudwatch:
          alarm_name_prefix: "team-"
          treat_missing_data: missing
          insufficient_data_actions: ["arn:aws:sns:us-east-1:1:x"]
        defaults:
          errors: {count_warning: 2, window_min: 5}
        functions:
          - name: Resize_Image
            timeout_s: 10
            runbook: https://wiki.example.com/resize
            duration: {timeout_pct: 50, timeout_warning_pct: 33.3}
            tags: ["tier:1"]
        """,
    )
    errors = datadog(state, "resize_image/errors-count")
    assert errors["query"] == "sum(last_5m):sum:aws.lambda.errors{functionname:resize_image}.as_count() >= 5"
    assert errors["options"]["thresholds"] == {"critical": 5, "warning": 2}
    assert errors["options"]["evaluation_delay"] == 600
    assert errors["options"]["renotify_interval"] == 30
    assert errors["priority"] == 2
    assert errors["tags"][-2:] == ["team:imaging", "tier:1"]
    assert "{{#is_warning}}" in errors["message"] and "Runbook: https://wiki.example.com/resize" in errors["message"]

    timeout = datadog(state, "resize_image/duration-timeout")
    assert timeout["query"].endswith("> 5000")
    assert timeout["options"]["thresholds"] == {"critical": 5000, "warning": 3330}

    alarm = cloudwatch(state, "resize_image/errors-count")
    assert alarm["AlarmName"] == "team-resize_image/errors-count"
    assert alarm["Period"] == 300
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": "Resize_Image"}]  # case kept for AWS
    assert alarm["TreatMissingData"] == "missing"
    assert alarm["InsufficientDataActions"] == ["arn:aws:sns:us-east-1:1:x"]
    assert {"Key": "team", "Value": "imaging"} in alarm["Tags"] and {"Key": "tier", "Value": "1"} in alarm["Tags"]
    assert "Runbook: https://wiki.example.com/resize" in alarm["AlarmDescription"]
    assert "env" not in {t["Key"] for t in alarm["Tags"]}


def test_fractional_thresholds_read_the_same_in_query_and_options(tmp_path: Path) -> None:
    state = state_of(
        tmp_path,
        """
        service: svc
        functions:
          - {name: a, timeout_s: 10, errors: {rate_pct: 0.25, rate_warning_pct: 0.1}}
        """,
    )
    payload = datadog(state, "a/errors-rate")
    assert payload["query"].endswith(".as_count() > 0.25")
    assert payload["options"]["thresholds"] == {"critical": 0.25, "warning": 0.1}
    assert cloudwatch(state, "a/errors-rate")["Threshold"] == 0.25


def test_switching_items_groups_and_backends_off(tmp_path: Path) -> None:
    state = state_of(
        tmp_path,
        """
        service: svc
        functions:
          - {name: a, timeout_s: 10, duration: false, errors: {rate_pct: false}}
          - {name: b, timeout_s: 10, datadog: false}
          - {name: c, timeout_s: 10, cloudwatch: false, duration: {p99_ms: false}}
        """,
    )
    assert [m.key for m in state.datadog_monitors] == [
        "a/errors-count",
        "a/throttles",
        "c/duration-timeout",
        "c/errors-count",
        "c/errors-rate",
        "c/throttles",
    ]
    assert [a.key for a in state.cloudwatch_alarms] == [
        "a/errors-count",
        "a/throttles",
        "b/duration-p99",
        "b/duration-timeout",
        "b/errors-count",
        "b/errors-rate",
        "b/throttles",
    ]


def test_whole_backend_off(tmp_path: Path) -> None:
    state = state_of(
        tmp_path,
        """
        service: svc
        datadog: false
        functions: [{name: a, timeout_s: 10}]
        """,
    )
    assert state.datadog_monitors == ()
    assert len(state.cloudwatch_alarms) == 5


def test_expand_refuses_an_invalid_python_config() -> None:
    config = Config(service="svc", functions=(FunctionSpec(name="a", timeout_s=10, errors=ErrorSettings(count=0)),))
    with pytest.raises(ConfigErrors, match=r"functions\[0\]\.errors\.count: expected a whole number"):
        expand(config)


def test_payload_is_a_fresh_dict_each_time(example: DesiredState) -> None:
    monitor = example.datadog_monitors[0]
    first = monitor.payload()
    first["tags"].append("mutated")
    first["options"]["thresholds"]["critical"] = -1
    assert monitor.to_payload() == monitor.payload() != first


def test_render_json_shape(example: DesiredState) -> None:
    rendered = render(load_config(DATA / "issue-example.yaml"))
    sections = ["datadog_monitors", "cloudwatch_alarms", "datadog_dashboards", "cloudwatch_dashboards"]
    assert list(rendered) == sections
    assert rendered == example.to_json_dict()
    assert rendered["datadog_monitors"][0] == {
        "key": "screen-resize/duration-p99",
        "payload": example.datadog_monitors[0].payload(),
    }
    assert json.loads(json.dumps(rendered)) == rendered


def test_human_listing_shows_keys_names_queries_and_thresholds(example: DesiredState) -> None:
    text = format_state(example)
    assert text.startswith("service screen-resize\n\nDatadog monitors (9):\n  screen-resize/duration-p99\n")
    assert (
        "      query: avg(last_15m):avg:aws.lambda.duration.p99{functionname:screen-resize,env:prod} > 5000\n" in text
    )
    assert "CloudWatch alarms (9):\n" in text
    assert "      name:  lambda-monitors-screen-resize-thumbnail/errors-rate\n" in text
    assert "      alarm: 100 * errors / invocations (metric math, per 900 s) > 1\n" in text
    assert "      alarm: AWS/Lambda Duration p99 per 900 s > 5000\n" in text


# ----------------------------------------------------------------------------------------- snapshot


def test_rendered_json_matches_the_reviewed_snapshot() -> None:
    """Any change in what would be pushed shows up as a diff of this file in review.

    Regenerate with ``UPDATE_SNAPSHOTS=1 pytest tests/test_monitors_render.py``.
    """
    snapshot = SNAPSHOTS / "monitors_screen_resize.json"
    rendered = json.dumps(render(load_config(DATA / "screen-resize.yaml")), indent=2) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(rendered, encoding="utf-8")
    assert snapshot.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1 and review the file"
    assert rendered == snapshot.read_text(encoding="utf-8")
