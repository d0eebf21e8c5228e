"""Monitors as code for AWS Lambda: Datadog monitors and CloudWatch alarms from one reviewed file.

::

    from monitors import load_config, expand

    state = expand(load_config("monitors.yaml"))
    for monitor in state.datadog_monitors:
        print(monitor.key, monitor.payload()["query"])

Importing ``monitors`` stays cheap: PyYAML, botocore and datadog-api-client are imported only by the
functions that need them.
"""

from monitors.config import (
    CloudWatchSettings,
    Config,
    DatadogSettings,
    DurationSettings,
    ErrorSettings,
    FunctionSpec,
    Overrides,
    ThrottleSettings,
    config_from_dict,
    load_config,
    resolve_function,
    validate_config,
)
from monitors.errors import ConfigError, ConfigErrors, MonitorsError
from monitors.lambda_defaults import expand
from monitors.model import CloudWatchAlarm, DatadogMonitor, DesiredState, MetricQuery, MetricStat
from monitors.render import format_state, render
from monitors.validate import validate_state

__all__ = [
    "CloudWatchAlarm",
    "CloudWatchSettings",
    "Config",
    "ConfigError",
    "ConfigErrors",
    "DatadogMonitor",
    "DatadogSettings",
    "DesiredState",
    "DurationSettings",
    "ErrorSettings",
    "FunctionSpec",
    "MetricQuery",
    "MetricStat",
    "MonitorsError",
    "Overrides",
    "ThrottleSettings",
    "config_from_dict",
    "expand",
    "format_state",
    "load_config",
    "render",
    "resolve_function",
    "validate_config",
    "validate_state",
]
