"""Rendering a config: the desired state as the JSON object or as a table for humans."""

from __future__ import annotations

from typing import Any

from monitors.config import Config
from monitors.lambda_defaults import expand
from monitors.model import CloudWatchAlarm, DatadogMonitor, DesiredState

__all__ = ["format_state", "render"]

_OPERATORS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def render(config: Config) -> dict[str, Any]:
    """The ``render --json`` object for a config (see :meth:`DesiredState.to_json_dict`)."""
    return expand(config).to_json_dict()


def _datadog_line(monitor: DatadogMonitor) -> list[str]:
    warning = "" if monitor.warning is None else f"  (warning {monitor.warning:g})"
    return [f"  {monitor.key}", f"      name:  {monitor.name}", f"      query: {monitor.query}{warning}"]


def _cloudwatch_line(alarm: CloudWatchAlarm) -> list[str]:
    operator = _OPERATORS.get(alarm.comparison_operator, alarm.comparison_operator)
    if alarm.metric is not None:
        metric = alarm.metric
        what = f"{metric.namespace} {metric.metric_name} {metric.stat} per {metric.period} s"
    else:
        expression = next((q.expression for q in alarm.metrics if q.return_data), "")
        period = next((q.metric.period for q in alarm.metrics if q.metric is not None), 0)
        what = f"{expression} (metric math, per {period} s)"
    return [
        f"  {alarm.key}",
        f"      name:  {alarm.alarm_name}",
        f"      alarm: {what} {operator} {alarm.threshold:g}",
    ]


def format_state(state: DesiredState) -> str:
    """A readable listing: every key with its name, query or metric, and thresholds."""
    lines = [f"service {state.service}", "", f"Datadog monitors ({len(state.datadog_monitors)}):"]
    for monitor in state.datadog_monitors:
        lines += _datadog_line(monitor)
    if not state.datadog_monitors:
        lines.append("  (none)")
    lines += ["", f"CloudWatch alarms ({len(state.cloudwatch_alarms)}):"]
    for alarm in state.cloudwatch_alarms:
        lines += _cloudwatch_line(alarm)
    if not state.cloudwatch_alarms:
        lines.append("  (none)")
    return "\n".join(lines) + "\n"
