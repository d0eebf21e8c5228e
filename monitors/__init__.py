"""Monitors as code for AWS Lambda: Datadog monitors and CloudWatch alarms from one reviewed file.

::

    from monitors import desired_state, load_config

    state = desired_state(load_config("monitors.yaml"))  # Lambda defaults, custom monitors, dashboards
    for monitor in state.datadog_monitors:
        print(monitor.key, monitor.payload()["query"])

Importing ``monitors`` stays cheap: PyYAML, botocore and datadog-api-client are imported only by the
functions that need them.
"""

from monitors.catalog import Catalog, CatalogError, MetricInfo, load_catalog
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
from monitors.custom import CustomMonitor
from monitors.dashboards import CloudWatchDashboard, DashboardSettings, DatadogDashboard
from monitors.errors import ConfigError, ConfigErrors, MonitorsError
from monitors.lambda_defaults import expand
from monitors.model import CloudWatchAlarm, DatadogMonitor, DesiredState, MetricQuery, MetricStat
from monitors.render import desired_state, format_state, render
from monitors.validate import validate_state

__all__ = [
    "Catalog",
    "CatalogError",
    "CloudWatchAlarm",
    "CloudWatchDashboard",
    "CloudWatchSettings",
    "Config",
    "ConfigError",
    "ConfigErrors",
    "CustomMonitor",
    "DashboardSettings",
    "DatadogDashboard",
    "DatadogMonitor",
    "DatadogSettings",
    "DesiredState",
    "DurationSettings",
    "ErrorSettings",
    "FunctionSpec",
    "MetricInfo",
    "MetricQuery",
    "MetricStat",
    "MonitorsError",
    "Overrides",
    "ThrottleSettings",
    "config_from_dict",
    "desired_state",
    "expand",
    "format_state",
    "load_catalog",
    "load_config",
    "render",
    "resolve_function",
    "validate_config",
    "validate_state",
]
