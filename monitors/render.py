"""Rendering a config: the desired state as the JSON object or as a table for humans.

:func:`desired_state` is the whole desired state of a config: the Lambda defaults
(:func:`monitors.lambda_defaults.expand`), the custom monitors on declared metrics
(:mod:`monitors.custom`) and the dashboards (:mod:`monitors.dashboards`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from monitors.config import Config
from monitors.custom import expand_custom
from monitors.dashboards import build_dashboards
from monitors.lambda_defaults import expand
from monitors.model import CloudWatchAlarm, DatadogMonitor, DesiredState

__all__ = ["desired_state", "format_state", "render"]

_OPERATORS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def desired_state(config: Config) -> DesiredState:
    """Everything the config asks for: Lambda defaults, custom monitors and dashboards.

    Raises :class:`~monitors.errors.ConfigErrors` if the config is invalid.
    """
    state = expand(config)  # validates the config, catalogue references included
    monitors, alarms = expand_custom(config, config.metrics or {})
    datadog_dashboards, cloudwatch_dashboards = build_dashboards(config)
    return dataclasses.replace(
        state,
        datadog_monitors=state.datadog_monitors + tuple(monitors),
        cloudwatch_alarms=state.cloudwatch_alarms + tuple(alarms),
        datadog_dashboards=datadog_dashboards,
        cloudwatch_dashboards=cloudwatch_dashboards,
    )


def render(config: Config) -> dict[str, Any]:
    """The ``render --json`` object for a config (see :meth:`DesiredState.to_json_dict`)."""
    return desired_state(config).to_json_dict()


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
    for title, dashboards in (
        ("Datadog dashboards", state.datadog_dashboards),
        ("CloudWatch dashboards", state.cloudwatch_dashboards),
    ):
        if dashboards:
            lines += ["", f"{title} ({len(dashboards)}):"]
            lines += [f"  {d.key}\n      name:  {d.name}" for d in dashboards]
    return "\n".join(lines) + "\n"
