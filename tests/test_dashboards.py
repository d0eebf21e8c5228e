"""Dashboards: the reviewed snapshot of a realistic service, the official models, and round trips.

The Datadog body goes through the Datadog API emulator (which checks it against the
``datadog-api-client`` models) and comes back equal to the payload once normalized; the CloudWatch
body goes through ``put_dashboard`` and ``get_dashboard`` on moto.
"""

from __future__ import annotations

import json
import os
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from emulators.aws import MotoServer
from emulators.datadog_api import DatadogEmulator, check_datadog_model

from monitors import ConfigErrors, DesiredState, load_config
from monitors.cli import main
from monitors.dashboards import (
    check_cloudwatch_dashboard,
    check_datadog_dashboard,
    check_datadog_dashboard_model,
    cloudwatch_dashboard_name,
    is_owned_cloudwatch_dashboard,
    is_owned_datadog_dashboard,
    key_from_dashboard_text,
    normalize_datadog_dashboard,
)
from monitors.render import desired_state, render
from monitors.validate import validate_state

DATA = Path(__file__).parent / "data" / "catalog"
SERVICE = DATA / "service.yaml"
SNAPSHOTS = Path(__file__).parent / "snapshots"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def state() -> DesiredState:
    return desired_state(load_config(SERVICE))


@pytest.fixture(scope="module")
def datadog(state: DesiredState) -> dict[str, Any]:
    (dashboard,) = state.datadog_dashboards
    return dashboard.payload()


@pytest.fixture(scope="module")
def cloudwatch(state: DesiredState) -> dict[str, Any]:
    (dashboard,) = state.cloudwatch_dashboards
    return dashboard.payload()


def call(emu: DatadogEmulator, method: str, path: str, body: object = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"DD-API-KEY": emu.api_key, "DD-APPLICATION-KEY": emu.app_key, "Content-Type": "application/json"}
    request = urllib.request.Request(emu.url + path, data=data, method=method, headers=headers)
    with _OPENER.open(request, timeout=10) as answer:
        return json.loads(answer.read())


def titles(widgets: list[dict[str, Any]]) -> list[str]:
    return [w["definition"].get("title", "") for w in widgets]


def state_of(tmp_path: Path, text: str) -> DesiredState:
    path = tmp_path / "monitors.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return desired_state(load_config(path))


# ----------------------------------------------------------------------------------------- snapshot


def test_dashboards_match_the_reviewed_snapshot(datadog: dict[str, Any], cloudwatch: dict[str, Any]) -> None:
    """The dashboards of tests/data/catalog/service.yaml, reviewed by a person.

    Regenerate with ``UPDATE_SNAPSHOTS=1 pytest tests/test_dashboards.py`` and review the diff.
    """
    readable = {
        "datadog": datadog,
        "cloudwatch": {**cloudwatch, "DashboardBody": json.loads(cloudwatch["DashboardBody"])},
    }
    rendered = json.dumps(readable, indent=2) + "\n"
    snapshot = SNAPSHOTS / "dashboard_screen_resize.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(rendered, encoding="utf-8")
    assert snapshot.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1 and review the file"
    assert rendered == snapshot.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------ Datadog


def test_the_datadog_dashboard_is_ordered_lambda_then_custom_then_monitors(datadog: dict[str, Any]) -> None:
    assert (datadog["title"], datadog["layout_type"], datadog["reflow_type"]) == (
        "screen-resize (prod)",
        "ordered",
        "auto",
    )
    assert titles(datadog["widgets"]) == ["Lambda", "Custom metrics", "Monitors"]
    lambda_group = datadog["widgets"][0]["definition"]["widgets"]
    assert titles(lambda_group) == [
        "Invocations",
        "Errors",
        "Error rate (%)",
        "screen-resize: duration p50/p95/p99 (ms)",
        "thumbnail: duration p50/p95/p99 (ms)",
        "Throttles",
        "Concurrent executions",
        "Cold starts (@instrument)",
    ]


def test_lambda_widgets_filter_by_the_template_variables(datadog: dict[str, Any]) -> None:
    assert datadog["template_variables"] == [
        {"name": "env", "prefix": "env", "available_values": [], "defaults": ["prod"]},
        {
            "name": "functionname",
            "prefix": "functionname",
            "available_values": ["screen-resize", "thumbnail"],
            "defaults": ["*"],
        },
    ]
    invocations, _, rate, *_, cold = datadog["widgets"][0]["definition"]["widgets"]
    assert invocations["definition"]["requests"] == [
        {"q": "sum:aws.lambda.invocations{$env,$functionname} by {functionname}.as_count()", "display_type": "bars"}
    ]
    assert rate["definition"]["requests"][0]["q"] == (
        "100 * sum:aws.lambda.errors{$env,$functionname} by {functionname}.as_count()"
        " / sum:aws.lambda.invocations{$env,$functionname} by {functionname}.as_count()"
    )
    assert cold["definition"]["requests"][0]["q"] == (
        "sum:lambda_metrics.cold_starts{$env,function_name:$functionname.value} by {function_name}.as_count()"
    )


def test_thresholds_are_markers_and_the_timeout_share_is_marked(datadog: dict[str, Any]) -> None:
    _, errors, rate, duration, _, throttles, *_ = datadog["widgets"][0]["definition"]["widgets"]
    assert errors["definition"]["markers"] == [
        {"value": "y = 5", "display_type": "error dashed", "label": "errors >= 5: screen-resize, thumbnail"}
    ]
    assert rate["definition"]["markers"][0]["label"] == "error rate > 1: screen-resize, thumbnail"
    assert duration["definition"]["markers"] == [
        {"value": "y = 5000", "display_type": "error dashed", "label": "p99 alert > 5000 ms"},
        {"value": "y = 24000", "display_type": "error dashed", "label": "timeout share 80% of 30 s = 24000 ms"},
    ]
    assert [r["q"] for r in duration["definition"]["requests"]] == [
        f"avg:aws.lambda.duration.{p}{{$env,functionname:screen-resize}}" for p in ("p50", "p95", "p99")
    ]
    # thumbnail has throttles switched off: only screen-resize's threshold is drawn
    assert throttles["definition"]["markers"][0]["label"] == "throttles >= 1: screen-resize"


def test_one_widget_per_declared_metric_chosen_by_type(datadog: dict[str, Any]) -> None:
    custom = datadog["widgets"][1]["definition"]["widgets"]
    assert titles(custom) == [
        "resize.images (count)",
        "resize.failures (count)",
        "resize.queue_depth",
        "resize.resize_ms (millisecond)",
        "resize.pipeline",
        "Resize failures (resize.failures / resize.images)",
    ]
    images, failures, depth, resize, pipeline, ratio = (w["definition"] for w in custom)
    assert images["requests"] == [{"q": "sum:resize.images{$env} by {format}.as_count()", "display_type": "bars"}]
    assert depth["requests"] == [{"q": "avg:resize.queue_depth{$env} by {queue}", "display_type": "line"}]
    assert [r["q"] for r in resize["requests"]] == [
        "avg:resize.resize_ms{$env}",
        "p95:resize.resize_ms{$env}",
        "max:resize.resize_ms{$env}",
    ]
    assert pipeline == {
        "title": "resize.pipeline",
        "type": "check_status",
        "check": "resize.pipeline",
        "grouping": "cluster",
        "group_by": [],
        "tags": ["$env"],
    }
    assert depth["markers"] == [
        {"value": "y = 1000", "display_type": "error dashed", "label": "Output queue backlog: critical"}
    ]
    assert failures["markers"] == [{"value": "y = 10", "display_type": "error dashed", "label": "Failures: critical"}]
    assert [m["value"] for m in ratio["markers"]] == ["y = 0.05", "y = 0.02"]
    assert images["description"] == "Source images resized and delivered, by source format."


def test_the_monitor_summary_is_filtered_by_the_ownership_tags(datadog: dict[str, Any]) -> None:
    (summary,) = datadog["widgets"][2]["definition"]["widgets"]
    assert summary["definition"]["type"] == "manage_status"
    assert (
        summary["definition"]["query"] == 'tag:"managed-by:lambda-monitors" tag:"lambda-monitors-service:screen-resize"'
    )


def test_the_datadog_body_passes_the_official_dashboard_model(datadog: dict[str, Any]) -> None:
    assert check_datadog_model("dashboard", datadog) == []
    assert check_datadog_dashboard_model(datadog) == []
    assert check_datadog_dashboard(datadog, "screen-resize") == []


def test_the_model_check_finds_an_invalid_widget_field(datadog: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(datadog))
    broken["widgets"][2]["definition"]["widgets"][0]["definition"]["sort"] = "loudest"
    assert check_datadog_dashboard_model(broken) == ["body.widgets[2].definition: matches no widget schema"]


# ------------------------------------------------------------------- ownership and normalisation


def test_the_marker_is_in_the_description_which_the_list_endpoint_returns(
    datadog: dict[str, Any], datadog_emulator: DatadogEmulator
) -> None:
    call(datadog_emulator, "POST", "/api/v1/dashboard", datadog)
    call(datadog_emulator, "POST", "/api/v1/dashboard", {**datadog, "description": "made by hand"})
    summaries = call(datadog_emulator, "GET", "/api/v1/dashboard")["dashboards"]
    owned = [s for s in summaries if is_owned_datadog_dashboard(s, "screen-resize")]
    assert len(summaries) == 2 and len(owned) == 1
    assert key_from_dashboard_text(owned[0]["description"]) == "dashboard"
    assert not is_owned_datadog_dashboard(owned[0], "another-service")


def test_a_stored_dashboard_normalizes_back_to_the_payload(
    datadog: dict[str, Any], datadog_emulator: DatadogEmulator
) -> None:
    created = call(datadog_emulator, "POST", "/api/v1/dashboard", datadog)
    stored = call(datadog_emulator, "GET", f"/api/v1/dashboard/{created['id']}")
    assert stored != datadog  # ids, url, author, dates, widget ids...
    assert {"id", "url", "author_handle", "created_at", "modified_at"} <= set(stored)
    assert isinstance(stored["widgets"][0]["definition"]["widgets"][0]["id"], int)
    assert normalize_datadog_dashboard(stored) == datadog
    updated = call(datadog_emulator, "PUT", f"/api/v1/dashboard/{created['id']}", stored)  # ids sent back
    assert normalize_datadog_dashboard(updated) == datadog
    assert normalize_datadog_dashboard(datadog) == datadog


def test_normalize_sees_a_real_change() -> None:
    payload = {"title": "t", "layout_type": "ordered", "widgets": [{"definition": {"type": "note", "content": "a"}}]}
    stored = {
        **payload,
        "id": "abc",
        "notify_list": None,
        "widgets": [{"id": 1, "definition": {"type": "note", "content": "b"}}],
    }
    assert normalize_datadog_dashboard(stored) != payload


# ---------------------------------------------------------------------------------------- CloudWatch


def test_the_cloudwatch_dashboard_shows_lambda_and_emf_metrics(cloudwatch: dict[str, Any]) -> None:
    assert cloudwatch["DashboardName"] == "lambda-monitors-screen-resize-dashboard"
    widgets = json.loads(cloudwatch["DashboardBody"])["widgets"]
    assert widgets[0]["type"] == "text"
    assert key_from_dashboard_text(widgets[0]["properties"]["markdown"], "screen-resize") == "dashboard"
    by_title = {w["properties"].get("title"): w for w in widgets[1:]}
    assert list(by_title) == [
        "Invocations",
        "Errors",
        "Error rate (%)",
        "screen-resize: duration p50/p95/p99 (ms)",
        "thumbnail: duration p50/p95/p99 (ms)",
        "Throttles",
        "Concurrent executions",
        "Cold starts (@instrument, EMF)",
        "resize.images (count)",
        "resize.failures (count)",
        "resize.queue_depth",
        "resize.resize_ms (millisecond)",
        "resize.pipeline",
        "Resize failures (resize.failures / resize.images)",
    ]
    duration = by_title["screen-resize: duration p50/p95/p99 (ms)"]["properties"]
    assert duration["metrics"][0] == [
        "AWS/Lambda",
        "Duration",
        "FunctionName",
        "screen-resize",
        {"stat": "p50", "label": "p50"},
    ]
    assert duration["annotations"]["horizontal"] == [
        {"label": "p99 alarm > 5000 ms", "value": 5000},
        {"label": "timeout share 80% of 30 s", "value": 24000.0},
    ]
    assert by_title["resize.queue_depth"]["properties"]["metrics"] == [["LambdaMetrics", "resize.queue_depth"]]
    assert by_title["resize.queue_depth"]["properties"]["annotations"] == {
        "horizontal": [{"label": "Output queue backlog: alarm", "value": 1000}]
    }
    assert all(w["properties"].get("region", "us-east-1") == "us-east-1" for w in widgets)
    assert check_cloudwatch_dashboard(cloudwatch, "lambda-monitors-screen-resize-") == []


def test_put_dashboard_round_trip_through_moto(cloudwatch: dict[str, Any], moto_server: MotoServer) -> None:
    import boto3

    client = boto3.client("cloudwatch", region_name="us-east-1")
    client.put_dashboard(**cloudwatch)
    stored = client.get_dashboard(DashboardName=cloudwatch["DashboardName"])
    assert json.loads(stored["DashboardBody"]) == json.loads(cloudwatch["DashboardBody"])
    listed = client.list_dashboards(DashboardNamePrefix="lambda-monitors-screen-resize-")["DashboardEntries"]
    assert [d["DashboardName"] for d in listed] == ["lambda-monitors-screen-resize-dashboard"]
    assert is_owned_cloudwatch_dashboard(
        listed[0]["DashboardName"], stored["DashboardBody"], "lambda-monitors-screen-resize-", "screen-resize"
    )


def test_cloudwatch_checks_catch_what_moto_accepts() -> None:
    body = json.dumps({"widgets": [{"type": "metric", "x": 20, "y": 0, "width": 12, "height": 6, "properties": {}}]})
    problems = check_cloudwatch_dashboard({"DashboardName": "bad name!", "DashboardBody": body})
    assert problems == [
        "DashboardName must be 1-255 characters of letters, digits, '-' and '_'",
        "widgets[0] is wider than the 24-column grid",
        "widgets[0].properties.region is required",
        "widgets[0].properties.metrics must be a non-empty list of arrays",
        "the ownership marker is missing (name prefix and marker text widget)",
    ]


def test_a_custom_alarm_prefix_is_made_a_valid_dashboard_name() -> None:
    assert cloudwatch_dashboard_name("Team A / prod: ") == "Team-A---prod--dashboard"


# --------------------------------------------------------------------------------------- the config


BASE = """
service: svc
cloudwatch: {region: eu-west-1}
functions: [{name: fn, timeout_s: 10}]
"""


def test_dashboards_are_off_unless_the_config_asks(tmp_path: Path) -> None:
    state = state_of(tmp_path, BASE)
    assert (state.datadog_dashboards, state.cloudwatch_dashboards) == ((), ())
    assert render(load_config(tmp_path / "monitors.yaml"))["datadog_dashboards"] == []


def test_dashboards_without_a_catalog_show_the_lambda_functions(tmp_path: Path) -> None:
    state = state_of(tmp_path, BASE + "dashboards: {cloudwatch: false, title: Svc, instrument_namespace: false}\n")
    assert state.cloudwatch_dashboards == ()
    (dashboard,) = state.datadog_dashboards
    body = dashboard.payload()
    assert body["title"] == "Svc"
    assert titles(body["widgets"]) == ["Lambda", "Monitors"]
    assert "Cold starts (@instrument)" not in titles(body["widgets"][0]["definition"]["widgets"])
    assert body["template_variables"][0]["defaults"] == ["*"]  # no env in the file
    assert validate_state(state) == []


def test_a_cloudwatch_dashboard_needs_a_region(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigErrors, match=r"monitors.yaml:3: dashboards: a CloudWatch dashboard needs 'cloudwatch.region'"
    ):
        state_of(tmp_path, "service: svc\nfunctions: [{name: fn, timeout_s: 10}]\ndashboards: true\n")


def test_datadog_false_means_no_datadog_dashboard(tmp_path: Path) -> None:
    state = state_of(tmp_path, BASE + "datadog: false\ndashboards: true\n")
    assert state.datadog_dashboards == () and len(state.cloudwatch_dashboards) == 1


def test_render_and_validate_cli_include_dashboards(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(SERVICE), "--json"]) == 0
    rendered = json.loads(capsys.readouterr().out)
    assert [d["key"] for d in rendered["datadog_dashboards"]] == ["dashboard"]
    assert set(rendered["cloudwatch_dashboards"][0]["payload"]) == {"DashboardName", "DashboardBody"}
    assert main(["validate", str(SERVICE)]) == 0
    assert (
        capsys.readouterr()
        .out.strip()
        .endswith("OK (13 Datadog monitors, 12 CloudWatch alarms, 1 Datadog dashboard, 1 CloudWatch dashboard)")
    )


# ------------------------------------------------------------------------------------- plan / apply


def test_a_plan_right_after_an_apply_with_custom_monitors_and_dashboards_is_empty(
    datadog_emulator: DatadogEmulator,
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import boto3

    monkeypatch.setenv("DD_API_KEY", datadog_emulator.api_key)
    monkeypatch.setenv("DD_APP_KEY", datadog_emulator.app_key)
    monkeypatch.setenv("DD_API_HOST", datadog_emulator.url)
    monkeypatch.setenv("LAMBDA_MONITORS_RETRY_BASE", "0.01")
    assert main(["apply", str(SERVICE), "--yes"]) == 0, capsys.readouterr()
    capsys.readouterr()
    (stored,) = datadog_emulator.dashboards.values()
    assert normalize_datadog_dashboard(stored) == desired_state(load_config(SERVICE)).datadog_dashboards[0].payload()
    client = boto3.client("cloudwatch", region_name="us-east-1")
    assert [d["DashboardName"] for d in client.list_dashboards()["DashboardEntries"]] == [
        "lambda-monitors-screen-resize-dashboard"
    ]
    assert main(["plan", str(SERVICE), "--detailed-exitcode"]) == 0
    assert "No changes. 27 objects are up to date." in capsys.readouterr().out
    assert datadog_emulator.internal_errors == []
