"""The human plan shows the innermost values that change, with their path, like a careful infra tool."""

from __future__ import annotations

import json

from monitors.sync._types import Action, Change, FieldChange
from monitors.sync.output import format_plan
from monitors.sync.plan import KindPlan, Plan


def _plan(*fields: FieldChange) -> str:
    change = Change("datadog_dashboards", Action.UPDATE, "dashboard", "svc (prod)", diff=fields)
    return format_plan(Plan((KindPlan("datadog_dashboards", "Datadog dashboard", (change,)),)))


def test_nested_values_are_shown_by_path_not_as_a_truncated_blob() -> None:
    old = [{"definition": {"title": "Lambda", "widgets": [{"definition": {"markers": [{"value": "y = 20000"}]}}]}}]
    new = [{"definition": {"title": "Lambda", "widgets": [{"definition": {"markers": [{"value": "y = 15000"}]}}]}}]
    text = _plan(FieldChange("widgets", old, new))
    assert 'widgets[0].definition.widgets[0].definition.markers[0].value: "y = 20000" -> "y = 15000"' in text
    assert "title" not in text


def test_a_json_document_in_a_string_is_compared_as_a_document() -> None:
    body = {"widgets": [{"type": "text", "properties": {"markdown": "x" * 300}},
                        {"type": "metric", "properties": {"annotations": {"horizontal": [{"value": 20000}]}}}]}
    changed = json.loads(json.dumps(body))
    changed["widgets"][1]["properties"]["annotations"]["horizontal"][0]["value"] = 15000
    text = _plan(FieldChange("DashboardBody", json.dumps(body), json.dumps(changed)))
    assert "DashboardBody.widgets[1].properties.annotations.horizontal[0].value: 20000 -> 15000" in text


def test_long_strings_show_a_window_around_the_first_difference() -> None:
    old = "A" * 200 + " above 20000 ms " + "B" * 200
    new = "A" * 200 + " above 15000 ms " + "B" * 200
    (line,) = [ln for ln in _plan(FieldChange("message", old, new)).splitlines() if "message:" in ln]
    assert "above 20000 ms" in line and "above 15000 ms" in line
    assert line.count("A") < 80  # not the whole 200-character prefix


def test_added_and_removed_items_and_numbers_that_only_differ_in_type() -> None:
    text = _plan(
        FieldChange("tags", ["a:1", "b:2"], ["a:1", "b:2", "c:3"]),
        FieldChange("options", {"thresholds": {"critical": 5.0}, "notify_no_data": False},
                    {"thresholds": {"critical": 5}, "notify_no_data": True}),
    )
    assert 'tags[2]: (absent) -> "c:3"' in text
    assert "options.notify_no_data: false -> true" in text
    assert "critical" not in text  # 5.0 and 5 are the same number


def test_many_changes_are_capped_with_a_count() -> None:
    old = {f"k{i:02}": i for i in range(20)}
    new = {f"k{i:02}": i + 1 for i in range(20)}
    text = _plan(FieldChange("options", old, new))
    assert text.count("        options.k") == 12
    assert "... and 8 more change(s) in options" in text
