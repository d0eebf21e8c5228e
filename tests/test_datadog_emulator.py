"""Tests of the local Datadog API emulator (tests/emulators/datadog_api.py).

Driven both with plain ``urllib.request`` and with the ``datadog`` package (``datadog.api``), the
way the monitors sync engine will use it. The ``datadog`` tests also pin down how that package
surfaces errors (see the emulator's module docstring).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import datadog
import pytest
import requests.adapters
from datadog.api import exceptions as dd_exc
from datadog.api.api_client import APIClient
from datadog.api.http_client import RequestClient
from emulators.datadog_api import DatadogEmulator, check_datadog_model, validate_monitor
from emulators.fixtures import datadog_emulator  # noqa: F401  (the shared fixture, used below)

QUERY = "avg(last_5m):sum:aws.lambda.errors{functionname:resize}.as_count() > 5"
OWNER = "managed-by:lambda-metrics"


def monitor_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "metric alert",
        "name": "resize errors",
        "message": "Errors on resize @slack-ops",
        "query": QUERY,
        "tags": ["service:resize", OWNER, "env:prod"],
        "options": {"thresholds": {"critical": 5, "warning": 2}},
    }
    body.update(overrides)
    return body


def dashboard_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Lambda: resize",
        "description": "Screen resize pipeline",
        "layout_type": "ordered",
        "widgets": [
            {
                "definition": {
                    "type": "timeseries",
                    "title": "Duration p99",
                    "requests": [{"q": "max:aws.lambda.duration.p99{functionname:resize}", "display_type": "line"}],
                }
            },
            {
                "definition": {
                    "type": "group",
                    "title": "Errors",
                    "layout_type": "ordered",
                    "widgets": [
                        {
                            "definition": {
                                "type": "query_value",
                                "requests": [{"q": "sum:aws.lambda.errors{functionname:resize}.as_count()"}],
                            }
                        },
                        {"definition": {"type": "note", "content": "Errors per function"}},
                    ],
                }
            },
        ],
    }
    body.update(overrides)
    return body


# --------------------------------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------------------------------

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def call(
    emu: DatadogEmulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    auth: bool = True,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    timeout: float = 5.0,
) -> tuple[int, dict[str, str], Any]:
    """One request with urllib; returns (status, headers, decoded JSON body)."""
    all_headers = {"Content-Type": "application/json"}
    if auth:
        all_headers.update({"DD-API-KEY": emu.api_key, "DD-APPLICATION-KEY": emu.app_key})
    all_headers.update(headers or {})
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(emu.url + path, data=data, method=method, headers=all_headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.loads(error.read())


@pytest.fixture
def emu(datadog_emulator: DatadogEmulator) -> DatadogEmulator:  # noqa: F811
    return datadog_emulator


_API_STATE = (
    "_api_key",
    "_application_key",
    "_api_host",
    "_host_name",
    "_mute",
    "_timeout",
    "_max_retries",
    "_return_raw_response",
    "_proxies",
)


@pytest.fixture
def dd(emu: DatadogEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``datadog.api`` initialised against the emulator; its module/class state restored afterwards."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    saved = {name: getattr(datadog.api, name) for name in _API_STATE}
    saved_session = RequestClient._session
    RequestClient._session = None
    # The package's own default; monitors.sync raises it process-wide when it builds a client.
    monkeypatch.setattr(APIClient, "_max_timeouts", 3)
    datadog.initialize(
        api_key=emu.api_key, app_key=emu.app_key, api_host=emu.url, host_name="emulator-test", mute=False
    )
    try:
        yield datadog.api
    finally:
        for name, value in saved.items():
            setattr(datadog.api, name, value)
        APIClient._timeout_counter = 0
        APIClient._backoff_timestamp = None
        session: Any = RequestClient._session
        if session is not None:
            session.close()
        RequestClient._session = saved_session


# --------------------------------------------------------------------------------------------------
# server basics, auth, routing
# --------------------------------------------------------------------------------------------------


def test_binds_loopback_only_and_stops() -> None:
    emulator = DatadogEmulator().start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emulator.url)
        status, _, body = call(emulator, "GET", "/api/v1/monitor")
        assert (status, body) == (200, [])
    finally:
        emulator.stop()
    with pytest.raises(OSError):
        call(emulator, "GET", "/api/v1/monitor", timeout=1)


def test_context_manager() -> None:
    with DatadogEmulator(api_key="k1", app_key="k2") as emulator:
        assert call(emulator, "GET", "/api/v1/dashboard")[0] == 200


def test_auth_is_required_and_keys_are_never_echoed(emu: DatadogEmulator) -> None:
    status, headers, body = call(emu, "GET", "/api/v1/monitor", auth=False)
    assert (status, body) == (403, {"errors": ["Forbidden"]})
    assert headers["Content-Type"] == "application/json"
    wrong = {"DD-API-KEY": emu.api_key, "DD-APPLICATION-KEY": "not-the-app-key"}
    status, headers, body = call(emu, "POST", "/api/v1/monitor", monitor_body(), auth=False, headers=wrong)
    assert (status, body) == (403, {"errors": ["Forbidden"]})
    assert emu.monitors == {}
    assert "not-the-app-key" not in json.dumps(body) + json.dumps(headers)
    assert emu.app_key not in repr(emu.requests) and emu.api_key not in repr(emu.requests)
    # /api/v1/validate checks the API key only, like the service
    assert call(emu, "GET", "/api/v1/validate", auth=False, headers={"DD-API-KEY": emu.api_key})[2] == {
        "valid": True
    }
    assert call(emu, "GET", "/api/v1/validate", auth=False)[0] == 403


def test_auth_failure_through_datadog_package(emu: DatadogEmulator, dd: Any) -> None:
    datadog.initialize(api_key="wrong-key", app_key="wrong-app-key")
    with pytest.raises(dd_exc.ApiError) as raised:
        dd.Monitor.get_all()
    assert raised.value.args[0] == {"errors": ["Forbidden"]}


def test_unknown_routes_bad_json_and_methods(emu: DatadogEmulator) -> None:
    status, headers, body = call(emu, "GET", "/api/v1/nothing-here")
    assert status == 404 and "errors" in body and headers["Content-Type"] == "application/json"
    assert call(emu, "GET", "/not-api")[0] == 404
    status, _, body = call(emu, "POST", "/api/v1/monitor", raw=b"{not json")
    assert status == 400 and body["errors"][0].startswith("Invalid JSON")
    assert call(emu, "POST", "/api/v1/monitor", raw=b"[1, 2]")[0] == 400
    assert call(emu, "PATCH", "/api/v1/monitor/1", {"name": "x"})[0] == 405
    assert emu.monitors == {} and emu.internal_errors == []


# --------------------------------------------------------------------------------------------------
# monitors
# --------------------------------------------------------------------------------------------------


def test_create_fills_server_fields_defaults_and_normalises(emu: DatadogEmulator, dd: Any) -> None:
    created = dd.Monitor.create(**monitor_body())
    assert isinstance(created["id"], int)
    assert created["type"] == "query alert"  # the service's quirk: metric alert comes back as query alert
    assert created["tags"] == ["env:prod", OWNER, "service:resize"]  # sorted, not the order sent
    options = created["options"]
    assert options["thresholds"] == {"critical": 5.0, "warning": 2.0}
    assert all(isinstance(v, float) for v in options["thresholds"].values())
    assert options["notify_no_data"] is False
    assert options["notify_audit"] is False
    assert options["include_tags"] is True
    assert options["silenced"] == {}
    assert options["new_host_delay"] == 300
    for absent in ("evaluation_delay", "require_full_window", "renotify_interval", "timeout_h"):
        assert absent not in options
    assert created["overall_state"] == "No Data"
    assert created["deleted"] is None and created["priority"] is None and created["restricted_roles"] is None
    assert created["multi"] is False and created["matching_downtimes"] == []
    assert created["draft_status"] == "published"
    assert set(created["creator"]) >= {"email", "handle", "name"}
    assert created["created"] == created["modified"] and created["created"].endswith("+00:00")
    assert isinstance(created["org_id"], int)
    # what GET answers and what is stored are the same object; it is a valid Monitor for the client
    assert dd.Monitor.get(created["id"]) == created == emu.monitors[created["id"]]
    assert check_datadog_model("monitor", created) == []

    second = dd.Monitor.create(
        **monitor_body(
            query="avg(last_10m):avg:aws.lambda.duration{functionname:resize} by {functionname} > 900",
            options={"thresholds": {"critical": 900}, "new_host_delay": 0, "evaluation_delay": 900},
            priority=2,
        )
    )
    assert second["id"] > created["id"]
    assert second["options"]["new_host_delay"] == 0  # kept when given
    assert second["options"]["evaluation_delay"] == 900
    assert second["multi"] is True and second["priority"] == 2


def test_create_ignores_read_only_fields(emu: DatadogEmulator) -> None:
    status, _, created = call(emu, "POST", "/api/v1/monitor", monitor_body(id=7, overall_state="OK"))
    assert status == 200 and created["id"] != 7 and created["overall_state"] == "No Data"


def test_list_filters_by_monitor_tags_all_of_them_and_pages(emu: DatadogEmulator, dd: Any) -> None:
    owned = [
        dd.Monitor.create(**monitor_body(name=f"owned {i}", tags=[OWNER, "scope:resize", f"n:{i}"]))["id"]
        for i in range(5)
    ]
    dd.Monitor.create(**monitor_body(name="other scope", tags=[OWNER, "scope:other"]))
    emu.seed_monitor(monitor_body(name="made by a human", tags=["scope:resize"]))

    everything = dd.Monitor.get_all()
    assert len(everything) == 7
    matching = dd.Monitor.get_all(monitor_tags=[OWNER, "scope:resize"])
    assert [m["id"] for m in matching] == owned
    pages = [dd.Monitor.get_all(monitor_tags=[OWNER, "scope:resize"], page=p, page_size=2) for p in range(4)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [m["id"] for page in pages for m in page] == owned
    assert emu.request_count("GET", "/api/v1/monitor") == 6

    # raw query strings, as the sync engine may send them
    status, _, body = call(emu, "GET", "/api/v1/monitor?monitor_tags=scope%3Aresize,n%3A3")
    assert status == 200 and [m["name"] for m in body] == ["owned 3"]
    assert len(call(emu, "GET", "/api/v1/monitor?page_size=2")[2]) == 7  # page_size alone: no paging
    assert len(call(emu, "GET", "/api/v1/monitor?page=0")[2]) == 7  # page alone: 100 per page
    assert [m["name"] for m in call(emu, "GET", "/api/v1/monitor?name=HUMAN")[2]] == ["made by a human"]
    assert len(call(emu, "GET", "/api/v1/monitor?tags=functionname%3Aresize")[2]) == 7
    assert call(emu, "GET", "/api/v1/monitor?tags=functionname%3Aother")[2] == []
    assert [m["id"] for m in call(emu, "GET", f"/api/v1/monitor?id_offset={owned[2]}")[2]][:2] == owned[3:]
    assert call(emu, "GET", "/api/v1/monitor?page=0&page_size=1001")[0] == 400
    assert call(emu, "GET", "/api/v1/monitor?page=zero")[0] == 400
    with pytest.raises(dd_exc.ApiError):
        dd.Monitor.get_all(page=0, page_size=5000)


def test_update_replaces_options_reapplies_defaults_and_bumps_modified(emu: DatadogEmulator, dd: Any) -> None:
    created = dd.Monitor.create(
        **monitor_body(options={"thresholds": {"critical": 5}, "notify_no_data": True, "evaluation_delay": 900})
    )
    time.sleep(0.002)
    updated = dd.Monitor.update(
        created["id"],
        query=QUERY.replace("> 5", "> 10"),
        name="renamed",
        tags=["z:1", OWNER],
        options={"thresholds": {"critical": 10}},
    )
    assert updated["name"] == "renamed" and updated["query"].endswith("> 10")
    assert updated["options"] == {
        "thresholds": {"critical": 10.0},
        "notify_no_data": False,
        "notify_audit": False,
        "include_tags": True,
        "silenced": {},
        "new_host_delay": 300,
    }
    assert updated["tags"] == [OWNER, "z:1"]
    assert updated["created"] == created["created"] and updated["modified"] > created["modified"]
    assert emu.monitors[created["id"]] == updated

    # a partial update keeps everything else
    renamed = dd.Monitor.update(created["id"], message="new message")
    assert renamed["message"] == "new message" and renamed["options"] == updated["options"]
    assert renamed["query"] == updated["query"]

    # "metric alert" and "query alert" are the same type; any other change of type is refused
    assert dd.Monitor.update(created["id"], type="metric alert")["type"] == "query alert"
    with pytest.raises(dd_exc.ApiError, match="type cannot be changed"):
        dd.Monitor.update(created["id"], type="log alert")
    # the same validation as create: threshold disagreeing with the query
    with pytest.raises(dd_exc.ApiError, match="does not match"):
        dd.Monitor.update(created["id"], options={"thresholds": {"critical": 3}})
    with pytest.raises(dd_exc.ApiError) as raised:
        dd.Monitor.update(999_999, name="x")
    assert raised.value.args[0] == {"errors": ["Monitor not found"]}
    assert emu.monitors[created["id"]]["options"]["thresholds"] == {"critical": 10.0}


def test_delete_monitor(emu: DatadogEmulator, dd: Any) -> None:
    created = dd.Monitor.create(**monitor_body())
    assert dd.Monitor.delete(created["id"]) == {"deleted_monitor_id": created["id"]}
    assert emu.monitors == {}
    for method in ("GET", "DELETE"):
        status, _, body = call(emu, method, f"/api/v1/monitor/{created['id']}")
        assert (status, body) == (404, {"errors": ["Monitor not found"]})
    assert call(emu, "GET", "/api/v1/monitor/not-a-number")[0] == 404


@pytest.mark.parametrize(
    "query",
    [
        QUERY,
        "avg(last_5m):sum:aws.lambda.errors{functionname:x}.as_count() > 5",
        "max(last_1h):avg:aws.lambda.duration{functionname:a,env:prod} by {functionname} >= 5",
        "sum(last_1d):sum:aws.lambda.throttles{*}.as_count() > 5.0",
        "min(last_1w):avg:system.load.5{*} < 5",
        "avg(current_1d):avg:system.load.5{*} > 5",
        "pct_change(avg(last_5m),last_5m):avg:aws.lambda.invocations{*} > 5",
        "change(max(last_1h),1h_ago):avg:aws.lambda.errors{*} != 5",
        "percentile(last_5m):p99:aws.lambda.enhanced.duration{functionname:x} > 5",
        "avg(last_5m):100 * sum:aws.lambda.errors{functionname:x}.as_count()"
        " / sum:aws.lambda.invocations{functionname:x}.as_count() > 5",
    ],
)
def test_validate_accepts_good_monitors(emu: DatadogEmulator, query: str) -> None:
    status, _, body = call(emu, "POST", "/api/v1/monitor/validate", monitor_body(query=query))
    assert (status, body) == (200, {})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"query": "avg(last_5m):sum:aws.lambda.errors{functionname:x.as_count() > 5"}, "unbalanced"),
        ({"query": "avg(last_5m:sum:aws.lambda.errors{functionname:x}.as_count() > 5"}, "unbalanced"),
        ({"query": "avg(last_5m):sum:aws.lambda.errors{functionname:x}.as_count())) > 5"}, "unbalanced"),
        ({"query": "avg(last_5m):sum:aws.lambda.errors{functionname:x}.as_count() 5"}, "operator"),
        ({"query": "avg(last_5m):sum:aws.lambda.errors{functionname:x}.as_count() >"}, "must be a number"),
        ({"query": "avg(last_5m):sum:aws.lambda.errors{functionname:x}.as_count() > five"}, "must be a number"),
        ({"query": "median(last_5m):sum:aws.lambda.errors{functionname:x}.as_count() > 5"}, "time aggregation"),
        ({"query": "sum:aws.lambda.errors{functionname:x}.as_count() > 5"}, "time_aggr"),
        ({"query": "avg(last_5x):sum:aws.lambda.errors{functionname:x}.as_count() > 5"}, "timeframe"),
        ({"query": "avg(last_99999m):sum:aws.lambda.errors{functionname:x}.as_count() > 5"}, "timeframe"),
        ({"query": "avg(5m):sum:aws.lambda.errors{functionname:x}.as_count() > 5"}, "timeframe"),
        ({"query": "avg(last_5m): > 5"}, "metric query"),
        ({"query": "change(avg(last_5m)):avg:aws.lambda.errors{*} > 5"}, "timeshift"),
        ({"query": ""}, "empty"),
        ({"options": {"thresholds": {"critical": 7}}}, "Alert threshold (7.0) does not match"),
        ({"type": "bogus alert"}, "invalid MonitorType value 'bogus alert'"),
        ({"options": {"thresholds": {"critical": 5}, "notify_no_data": "yes"}}, "notify_no_data"),
        ({"priority": 9}, "priority"),
    ],
)
def test_validate_and_create_reject_bad_monitors(
    emu: DatadogEmulator, overrides: dict[str, Any], expected: str
) -> None:
    status, _, body = call(emu, "POST", "/api/v1/monitor/validate", monitor_body(**overrides))
    assert status == 400, body
    assert any(expected in error for error in body["errors"]), body
    status, _, body = call(emu, "POST", "/api/v1/monitor", monitor_body(**overrides))
    assert status == 400 and any(expected in error for error in body["errors"])
    assert emu.monitors == {}


def test_validate_through_datadog_package(emu: DatadogEmulator, dd: Any) -> None:
    assert dd.Monitor.validate(**monitor_body()) == {}
    with pytest.raises(dd_exc.ApiError) as raised:
        dd.Monitor.validate(**monitor_body(options={"thresholds": {"critical": 1}}))
    assert raised.value.args[0]["errors"] == ["Alert threshold (1.0) does not match that used in the query (5.0)."]


def test_validate_existing_monitor(emu: DatadogEmulator) -> None:
    created = emu.seed_monitor(monitor_body())
    assert call(emu, "POST", f"/api/v1/monitor/{created['id']}/validate", {"name": "x"})[0] == 200
    status, _, body = call(emu, "POST", f"/api/v1/monitor/{created['id']}/validate", {"query": "bad"})
    assert status == 400 and "operator" in body["errors"][0]
    assert emu.monitors[created["id"]]["query"] == QUERY  # validating changes nothing


def test_validate_monitor_function_other_types() -> None:
    assert validate_monitor({"type": "log alert", "query": 'logs("x").index("*").rollup("count").last("5m") > 1'}) == []
    assert validate_monitor({"type": "log alert", "query": " "}) != []


# --------------------------------------------------------------------------------------------------
# check_datadog_model
# --------------------------------------------------------------------------------------------------


def test_model_check_accepts_good_bodies() -> None:
    assert check_datadog_model("monitor", monitor_body()) == []
    assert check_datadog_model("monitor", monitor_body(priority=3, restricted_roles=None)) == []
    assert check_datadog_model("monitor_update", {"name": "x", "options": {"renotify_interval": 60}}) == []
    assert check_datadog_model("dashboard", dashboard_body()) == []


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        ("monitor", monitor_body(type="metrics alert"), "monitor.type: invalid MonitorType value 'metrics alert'"),
        ("monitor", monitor_body(options={"notify_no_data": "yes"}), "notify_no_data"),
        ("monitor", monitor_body(options={"thresholds": {"critical": "high"}}), "critical"),
        ("monitor", monitor_body(tags="a:b"), "tags"),
        ("monitor", {"name": "no query nor type"}, "missing 2 required positional arguments"),
        ("monitor", monitor_body(priority="high"), "priority"),
        (
            "monitor_update",
            {"options": {"renotify_statuses": ["bogus"]}},
            "monitor_update.options.renotify_statuses[0]: invalid MonitorRenotifyStatusType value 'bogus'",
        ),
        ("monitor_update", {"type": "bogus"}, "invalid MonitorType value 'bogus'"),
        (
            "dashboard",
            dashboard_body(widgets=[{"definition": {"type": "bogus_chart", "requests": []}}]),
            "dashboard.widgets[0].definition.type: unknown WidgetDefinition type 'bogus_chart'",
        ),
        (
            "dashboard",
            dashboard_body(
                widgets=[
                    {
                        "definition": {
                            "type": "group",
                            "layout_type": "ordered",
                            "widgets": [{"definition": {"type": "nope"}}],
                        }
                    }
                ]
            ),
            "unknown WidgetDefinition type 'nope'",
        ),
        (
            "dashboard",
            dashboard_body(
                widgets=[{"definition": {"type": "timeseries", "requests": [{"q": "x", "display_type": "pie"}]}}]
            ),
            "display_type: invalid WidgetDisplayType value 'pie'",
        ),
        ("dashboard", dashboard_body(layout_type="grid"), "invalid DashboardLayoutType value 'grid'"),
        ("dashboard", {"title": "no widgets", "layout_type": "ordered"}, "widgets"),
    ],
)
def test_model_check_rejects_bad_bodies(kind: str, body: dict[str, Any], expected: str) -> None:
    errors = check_datadog_model(kind, body)
    assert errors, body
    assert any(expected in error for error in errors), errors


def test_model_check_rejects_unknown_kind_and_non_objects() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        check_datadog_model("slo", {})
    bad: Any = ["not", "an", "object"]
    assert check_datadog_model("monitor", bad) == ["monitor: the body must be a JSON object, not list"]


# --------------------------------------------------------------------------------------------------
# dashboards
# --------------------------------------------------------------------------------------------------


def _widget_ids(widgets: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for widget in widgets:
        ids.append(widget["id"])
        ids.extend(_widget_ids(widget["definition"].get("widgets", [])))
    return ids


def test_dashboard_crud(emu: DatadogEmulator, dd: Any) -> None:
    created = dd.Dashboard.create(**dashboard_body())
    dashboard_id = created["id"]
    assert re.fullmatch(r"[a-z0-9]{3}-[a-z0-9]{3}-[a-z0-9]{3}", dashboard_id)
    assert created["url"] == f"/dashboard/{dashboard_id}/lambda-resize"
    assert created["is_read_only"] is False and created["author_handle"]
    assert created["created_at"] == created["modified_at"]
    ids = _widget_ids(created["widgets"])
    assert len(ids) == 4 and len(set(ids)) == 4 and all(isinstance(i, int) for i in ids)
    assert check_datadog_model("dashboard", created) == []
    assert dd.Dashboard.get(dashboard_id) == created == emu.dashboards[dashboard_id]

    time.sleep(0.002)
    changed = dashboard_body(title="Lambda: resize v2", widgets=created["widgets"][:1])
    updated = dd.Dashboard.update(dashboard_id, **changed)
    assert updated["title"] == "Lambda: resize v2" and updated["url"].endswith("/lambda-resize-v2")
    assert updated["created_at"] == created["created_at"] and updated["modified_at"] > created["modified_at"]
    assert _widget_ids(updated["widgets"]) == ids[:1]  # ids sent back are kept

    with pytest.raises(dd_exc.ApiError, match="unknown WidgetDefinition type"):
        dd.Dashboard.update(dashboard_id, **dashboard_body(widgets=[{"definition": {"type": "bogus"}}]))
    assert emu.dashboards[dashboard_id]["title"] == "Lambda: resize v2"

    assert dd.Dashboard.delete(dashboard_id) == {"deleted_dashboard_id": dashboard_id}
    assert emu.dashboards == {}
    with pytest.raises(dd_exc.ApiError, match="not found"):
        dd.Dashboard.get(dashboard_id)
    assert call(emu, "DELETE", f"/api/v1/dashboard/{dashboard_id}")[0] == 404
    assert call(emu, "PUT", f"/api/v1/dashboard/{dashboard_id}", dashboard_body())[0] == 404


def test_dashboard_create_rejects_invalid_body(emu: DatadogEmulator) -> None:
    body = dashboard_body(widgets=[{"definition": {"type": "bogus_chart"}}])
    status, _, answer = call(emu, "POST", "/api/v1/dashboard", body)
    assert status == 400 and "unknown WidgetDefinition type 'bogus_chart'" in answer["errors"][0]
    assert emu.dashboards == {}


def test_dashboard_list_summaries_and_paging(emu: DatadogEmulator, dd: Any) -> None:
    created = [dd.Dashboard.create(**dashboard_body(title=f"board {i}"))["id"] for i in range(5)]
    listing = dd.Dashboard.get_all()
    assert [d["id"] for d in listing["dashboards"]] == created
    assert set(listing["dashboards"][0]) == {
        "author_handle",
        "created_at",
        "description",
        "id",
        "is_read_only",
        "layout_type",
        "modified_at",
        "title",
        "url",
    }
    pages = [dd.Dashboard.get_all(start=start, count=2)["dashboards"] for start in (0, 2, 4, 6)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [d["id"] for p in pages for d in p] == created
    assert call(emu, "GET", "/api/v1/dashboard?count=-1")[0] == 400


def test_seeding_is_not_recorded(emu: DatadogEmulator) -> None:
    monitor = emu.seed_monitor(monitor_body(id=42, tags=["team:humans"]))
    assert monitor["id"] == 42 and monitor["options"]["new_host_delay"] == 300
    dashboard = emu.seed_dashboard(dashboard_body(id="abc-def-ghi"))
    assert dashboard["id"] == "abc-def-ghi" and dashboard["widgets"][0]["id"]
    assert emu.requests == []
    assert call(emu, "GET", "/api/v1/monitor/42")[2] == monitor
    assert call(emu, "POST", "/api/v1/monitor", monitor_body())[2]["id"] not in (42, None)


def test_recorded_requests_and_counts(emu: DatadogEmulator) -> None:
    call(emu, "POST", "/api/v1/monitor", monitor_body())
    call(emu, "GET", "/api/v1/monitor?monitor_tags=a%3Ab&page=0")
    call(emu, "GET", "/api/v1/dashboard")
    first = emu.requests[0]
    assert (first.method, first.path, first.status, first.fault) == ("POST", "/api/v1/monitor", 200, None)
    assert first.body == monitor_body()
    assert emu.requests[1].query == {"monitor_tags": "a:b", "page": "0"} and emu.requests[1].body is None
    assert emu.request_count() == 3
    assert emu.request_count("GET") == 2
    assert emu.request_count("get", "/api/v1/monitor") == 1
    assert emu.request_count(path_prefix="/api/v1/dashboard") == 1
    emu.reset_requests()
    assert emu.request_count() == 0 and len(emu.monitors) == 1


# --------------------------------------------------------------------------------------------------
# faults, and how the datadog package reports them
# --------------------------------------------------------------------------------------------------


def test_inject_checks_its_arguments(emu: DatadogEmulator) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        emu.inject("503")
    with pytest.raises(ValueError, match="delay"):
        emu.inject("slow")
    with pytest.raises(ValueError, match="times"):
        emu.inject("500", times=0)


def test_fault_429_carries_rate_limit_headers(emu: DatadogEmulator) -> None:
    emu.inject("429", reset=3)
    status, headers, body = call(emu, "POST", "/api/v1/monitor", monitor_body())
    assert status == 429 and "Rate limit" in body["errors"][0]
    assert headers["X-RateLimit-Reset"] == "3"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert int(headers["X-RateLimit-Limit"]) > 0 and int(headers["X-RateLimit-Period"]) > 0
    assert emu.monitors == {}
    assert emu.requests[-1].status == 429 and emu.requests[-1].fault == "429"
    assert call(emu, "POST", "/api/v1/monitor", monitor_body())[0] == 200  # times=1: only once
    emu.inject("429")
    assert call(emu, "GET", "/api/v1/monitor")[1]["X-RateLimit-Reset"] == "1"  # default reset


def test_fault_429_through_datadog_is_an_api_error_without_headers(emu: DatadogEmulator, dd: Any) -> None:
    emu.inject("429", reset=5)
    with pytest.raises(dd_exc.ApiError) as raised:
        dd.Monitor.create(**monitor_body())
    assert "Rate limit" in raised.value.args[0]["errors"][0]
    assert emu.monitors == {} and emu.request_count() == 1  # no retry by the package
    # the package's default (mute=True) swallows it and returns the error body as if it were an answer
    dd._mute = True
    emu.inject("429")
    assert "errors" in dd.Monitor.get_all()


def test_fault_500_through_datadog_is_http_error_raised_even_when_muted(emu: DatadogEmulator, dd: Any) -> None:
    emu.inject("500", times=2)
    with pytest.raises(dd_exc.HTTPError, match="500"):
        dd.Monitor.create(**monitor_body())
    dd._mute = True
    with pytest.raises(dd_exc.HTTPError):
        dd.Monitor.get_all()
    assert emu.monitors == {} and emu.request_count() == 2
    assert dd.Monitor.get_all() == []  # the fault is used up


def test_fault_narrowed_by_method_and_path(emu: DatadogEmulator) -> None:
    emu.inject("500", method="POST", path="/api/v1/monitor", times=2)
    assert call(emu, "GET", "/api/v1/monitor")[0] == 200
    assert call(emu, "POST", "/api/v1/dashboard", dashboard_body())[0] == 200
    assert call(emu, "POST", "/api/v1/monitor/validate", monitor_body())[0] == 500  # prefix match
    assert call(emu, "POST", "/api/v1/monitor", monitor_body())[0] == 500
    assert call(emu, "POST", "/api/v1/monitor", monitor_body())[0] == 200


def test_fault_drop_response_performs_the_request(emu: DatadogEmulator, dd: Any) -> None:
    emu.inject("drop_response", method="POST")
    with pytest.raises(dd_exc.ClientError, match="RemoteDisconnected"):
        dd.Monitor.create(**monitor_body())
    assert len(emu.monitors) == 1  # created, although the client never heard of it
    assert emu.requests[-1].status is None and emu.requests[-1].fault == "drop_response"
    assert emu.request_count("POST") == 1  # not resent
    assert [m["name"] for m in dd.Monitor.get_all(monitor_tags=[OWNER])] == ["resize errors"]

    emu.inject("drop_response")
    with pytest.raises((http.client.RemoteDisconnected, urllib.error.URLError, ConnectionError)):
        call(emu, "DELETE", f"/api/v1/monitor/{next(iter(emu.monitors))}")
    assert emu.monitors == {}

    dd._mute = True  # the default: a lost answer is swallowed and returned as {"errors": "..."}
    emu.inject("drop_response")
    muted = dd.Monitor.get_all()
    assert isinstance(muted, dict) and "Could not request" in muted["errors"]


def test_https_adapter_retries_lost_answers_of_idempotent_requests_only(emu: DatadogEmulator, dd: Any) -> None:
    """On the real (https) service the package's session retries via urllib3: mimic it on http."""
    dd.Monitor.get_all()  # creates the package's session
    assert RequestClient._session is not None
    RequestClient._session.mount("http://", requests.adapters.HTTPAdapter(max_retries=dd._max_retries))
    emu.reset_requests()
    emu.inject("drop_response", times=1)
    assert dd.Monitor.get_all() == []  # GET: the lost answer is retried transparently
    assert emu.request_count("GET") == 2
    emu.inject("drop_response", times=1)
    with pytest.raises(dd_exc.ClientError):
        dd.Monitor.create(**monitor_body())  # POST: not retried
    assert emu.request_count("POST") == 1 and len(emu.monitors) == 1
    emu.inject("500", times=1)
    with pytest.raises(dd_exc.HTTPError):
        dd.Monitor.get_all()  # status codes are never retried


def test_fault_slow_answers_normally_after_the_delay(emu: DatadogEmulator) -> None:
    emu.inject("slow", delay=0.2, path="/api/v1/monitor")
    started = time.monotonic()
    status, _, body = call(emu, "POST", "/api/v1/monitor", monitor_body())
    assert time.monotonic() - started >= 0.2
    assert status == 200 and body["id"] in emu.monitors
    assert emu.requests[-1].fault == "slow"
    started = time.monotonic()
    call(emu, "GET", "/api/v1/monitor")
    assert time.monotonic() - started < 0.2


def test_fault_slow_through_datadog_times_out_then_backs_off(emu: DatadogEmulator, dd: Any) -> None:
    datadog.initialize(timeout=0.1)
    emu.inject("slow", delay=0.3, times=3)
    for _ in range(3):
        with pytest.raises(dd_exc.HttpTimeout):
            dd.Monitor.get_all()
    assert APIClient._timeout_counter == 3
    with pytest.raises(dd_exc.HttpBackoff):  # class-level state: no request is even sent now
        dd.Monitor.get_all()
    deadline = time.monotonic() + 2  # slow requests are recorded when their (unheard) answer is ready
    while emu.request_count() < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emu.request_count() == 3


# --------------------------------------------------------------------------------------------------
# latency and concurrency
# --------------------------------------------------------------------------------------------------


def test_latency_is_added_to_every_request() -> None:
    with DatadogEmulator(latency=0.02) as emulator:
        started = time.monotonic()
        for _ in range(5):
            call(emulator, "GET", "/api/v1/monitor")
        call(emulator, "GET", "/api/v1/monitor", auth=False)
        assert time.monotonic() - started >= 6 * 0.02


def test_concurrent_creates_get_unique_ids(emu: DatadogEmulator) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(5):
            status, _, body = call(emu, "POST", "/api/v1/monitor", monitor_body(name=f"m{n}-{i}"))
            assert status == 200
            with lock:
                results.append(body["id"])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == len(set(results)) == 40
    assert sorted(emu.monitors) == sorted(results)
    assert emu.request_count("POST") == 40 and emu.internal_errors == []
