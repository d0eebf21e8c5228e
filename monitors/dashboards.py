"""Dashboards per service, on Datadog and CloudWatch, built from the config and the metric catalogue.

Switched on in the config (off by default, so existing files render what they rendered before)::

    dashboards: true                    # both backends
    dashboards:
      datadog: true
      cloudwatch: false
      title: Screen resize              # default "<service> (<env>)"
      instrument_namespace: lambda_metrics   # @instrument's namespace, or false if unused

The Datadog dashboard (body of ``POST /api/v1/dashboard``, ``layout_type: ordered``) has three
groups, in this order:

1. **Lambda**: invocations, errors, error rate, duration p50/p95/p99 (one widget per function, with
   markers at the p99 threshold and at the timeout share), throttles, concurrent executions and cold
   starts (``<instrument_namespace>.cold_starts``, written by ``@instrument``). Thresholds of the
   Lambda default monitors are drawn as markers.
2. **Custom metrics**: one widget per declared metric, chosen by type: counts as bars of
   ``.as_count()``, gauges as lines, histograms as avg/p95/max (distribution queries), checks as a
   check-status widget; custom monitors' thresholds as markers, and one widget per ``rate_of``
   monitor showing the ratio it watches.
3. **Monitors**: a monitor summary filtered by the ownership tags of the service.

Template variables ``env`` and ``functionname`` filter every Lambda widget (``@instrument`` tags
``function_name``, so its widgets use ``function_name:$functionname.value``).

The CloudWatch dashboard (arguments of ``put_dashboard``) shows the same from ``AWS/Lambda``
(``FunctionName`` dimension) and, when ``cloudwatch.emf`` is on, the custom metrics from the EMF
namespace (dimensionless, the set EMF always publishes), with thresholds as horizontal annotations.

Ownership: Datadog dashboards accept only ``team:`` tags, and the list endpoint returns no tags, so
the marker lives in the description (returned by ``GET /api/v1/dashboard``)::

    [managed-by:lambda-monitors lambda-monitors-service:<service> lambda-monitors-key:dashboard]

CloudWatch dashboards cannot be tagged: the name starts with the alarm name prefix and a text
widget carries the same marker line.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from monitors._schema import Boolean, Context, OrFalse, Record, Spec, String
from monitors.catalog import INSTRUMENT_NAMESPACE, MetricInfo
from monitors.ownership import KEY_TAG_KEY, MANAGED_BY_TAG, SERVICE_TAG_KEY, service_tag

if TYPE_CHECKING:
    from monitors.config import Config, ResolvedFunction
    from monitors.custom import CustomMonitor

__all__ = [
    "CLOUDWATCH_DASHBOARD_MAX_BYTES",
    "DASHBOARD_KEY",
    "DATADOG_DASHBOARD_MANAGED_FIELDS",
    "CloudWatchDashboard",
    "DashboardSettings",
    "DatadogDashboard",
    "build_dashboards",
    "check_cloudwatch_dashboard",
    "check_dashboard_settings",
    "check_datadog_dashboard",
    "check_datadog_dashboard_model",
    "cloudwatch_dashboard_name",
    "dashboards_spec",
    "is_owned_cloudwatch_dashboard",
    "is_owned_datadog_dashboard",
    "key_from_dashboard_text",
    "marker_line",
    "normalize_datadog_dashboard",
]

#: The identity key of the one dashboard per service and backend.
DASHBOARD_KEY: Final = "dashboard"
#: Top-level dashboard fields lambda-monitors sets (compared by a plan); everything else the API
#: returns (``id``, ``url``, ``author_*``, ``created_at``, ``modified_at``, ``is_read_only``,
#: ``restricted_roles``...) is the service's.
DATADOG_DASHBOARD_MANAGED_FIELDS: Final = (
    "title",
    "description",
    "layout_type",
    "reflow_type",
    "template_variables",
    "widgets",
    "notify_list",
    "tags",
)
CLOUDWATCH_DASHBOARD_MAX_BYTES: Final = 1_000_000  # PutDashboard: "DashboardBody ... maximum 1 MB"
_CLOUDWATCH_NAME = re.compile(r"[A-Za-z0-9_\-]{1,255}")
_MARKER = re.compile(
    rf"\[{re.escape(MANAGED_BY_TAG)} {SERVICE_TAG_KEY}:(?P<service>\S+) {KEY_TAG_KEY}:(?P<key>[^\s\]]+)\]"
)
_LAMBDA: Final = "AWS/Lambda"
_PERIOD: Final = 300


# ---------------------------------------------------------------------------------------- settings


@dataclass(frozen=True, kw_only=True)
class DashboardSettings:
    """The ``dashboards:`` section; ``instrument_namespace=False`` leaves out the cold-start widget."""

    datadog: bool = True
    cloudwatch: bool = True
    title: str | None = None
    instrument_namespace: str | Literal[False] = INSTRUMENT_NAMESPACE


def dashboards_spec() -> Spec[Any]:
    """``dashboards: true | false | {datadog, cloudwatch, title, instrument_namespace}``."""
    return OrFalse(
        Record(
            {
                "datadog": Boolean(),
                "cloudwatch": Boolean(),
                "title": String(max_length=200, pattern=r"[^\x00-\x1f]+", what="a dashboard title"),
                "instrument_namespace": OrFalse(
                    String(pattern=r"[A-Za-z][A-Za-z0-9_.]*", max_length=150, what="a metric namespace")
                ),
            },
            build=lambda values: DashboardSettings(**values),
            what="true, false or a mapping of datadog, cloudwatch, title, instrument_namespace",
        ),
        allow_true=True,
    )


def check_dashboard_settings(config: Config, ctx: Context) -> None:
    """Cross-section rules: a CloudWatch dashboard names its region in every metric widget."""
    settings = config.dashboards
    if settings is False or not settings.cloudwatch or config.cloudwatch is False:
        return
    if config.cloudwatch.region is None:
        ctx.error(
            ("dashboards",),
            "a CloudWatch dashboard needs 'cloudwatch.region' (every metric widget names its region); "
            "set it, or 'dashboards: {cloudwatch: false}'",
        )


# ------------------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class DatadogDashboard:
    """A Datadog dashboard; ``body`` is the JSON text of ``POST /api/v1/dashboard`` (kept as text so the
    object stays immutable and hashable)."""

    key: str
    title: str
    body: str

    def payload(self) -> dict[str, Any]:
        """The body of ``POST /api/v1/dashboard`` (and ``PUT /api/v1/dashboard/{id}``), as a fresh dict."""
        result: dict[str, Any] = json.loads(self.body)
        return result

    to_payload = payload

    @property
    def name(self) -> str:
        return self.title


@dataclass(frozen=True)
class CloudWatchDashboard:
    """A CloudWatch dashboard: its name and ``DashboardBody`` JSON text."""

    key: str
    name: str
    body: str

    def payload(self) -> dict[str, Any]:
        """The keyword arguments of ``cloudwatch.put_dashboard``."""
        return {"DashboardName": self.name, "DashboardBody": self.body}

    to_payload = payload


# ------------------------------------------------------------------------------------- ownership


def marker_line(service: str, key: str = DASHBOARD_KEY) -> str:
    """``[managed-by:lambda-monitors lambda-monitors-service:<service> lambda-monitors-key:<key>]``."""
    return f"[{MANAGED_BY_TAG} {service_tag(service)} {KEY_TAG_KEY}:{key}]"


def key_from_dashboard_text(text: object, service: str | None = None) -> str | None:
    """The identity key in a marker line found in ``text`` (and for ``service``, if given), else ``None``."""
    if not isinstance(text, str):
        return None
    for match in _MARKER.finditer(text):
        if service is None or match.group("service") == service:
            return match.group("key")
    return None


def is_owned_datadog_dashboard(dashboard: Mapping[str, Any], service: str | None = None) -> bool:
    """True when a dashboard (or a summary from ``GET /api/v1/dashboard``) carries the marker."""
    return key_from_dashboard_text(dashboard.get("description"), service) is not None


def cloudwatch_dashboard_name(prefix: str, key: str = DASHBOARD_KEY) -> str:
    """``<alarm name prefix><key>`` with every character CloudWatch refuses in a name replaced by ``-``."""
    return re.sub(r"[^A-Za-z0-9_\-]", "-", prefix + key)[:255]


def is_owned_cloudwatch_dashboard(name: str, body: str, prefix: str, service: str | None = None) -> bool:
    """True when the name starts with the (sanitised) prefix and the body carries the marker."""
    if not name.startswith(cloudwatch_dashboard_name(prefix, "")):
        return False
    return key_from_dashboard_text(body, service) is not None


def _strip_widget_ids(widgets: Any) -> Any:
    if not isinstance(widgets, list):
        return widgets
    out = []
    for widget in widgets:
        if isinstance(widget, dict):
            widget = {k: v for k, v in widget.items() if k != "id"}
            definition = widget.get("definition")
            if isinstance(definition, dict) and "widgets" in definition:
                widget["definition"] = {**definition, "widgets": _strip_widget_ids(definition["widgets"])}
        out.append(widget)
    return out


def normalize_datadog_dashboard(actual: Mapping[str, Any]) -> dict[str, Any]:
    """A dashboard as the API returns it, reduced to what a payload of this project contains.

    Keeps :data:`DATADOG_DASHBOARD_MANAGED_FIELDS` (dropping those the service answers as ``null``),
    removes the ``id`` the service gives every widget (nested group widgets included) and the
    ``null`` members of template variables. A payload passes through unchanged, so a plan compares
    ``normalize_datadog_dashboard(actual) == payload``.
    """
    out: dict[str, Any] = {}
    for name in DATADOG_DASHBOARD_MANAGED_FIELDS:
        value = actual.get(name)
        if value is None:
            continue
        value = copy.deepcopy(value)
        if name == "widgets":
            value = _strip_widget_ids(value)
        elif name == "template_variables" and isinstance(value, list):
            value = [{k: v for k, v in tv.items() if v is not None} if isinstance(tv, dict) else tv for tv in value]
        out[name] = value
    return out


# -------------------------------------------------------------------------------- Datadog widgets


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _marker(value: float, label: str, level: str = "error") -> dict[str, str]:
    return {"value": f"y = {_number(value)}", "display_type": f"{level} dashed", "label": label}


def _timeseries(
    title: str,
    requests: Sequence[tuple[str, str]],
    markers: Sequence[dict[str, str]] = (),
    description: str = "",
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "title": title,
        "type": "timeseries",
        "show_legend": True,
        "requests": [{"q": query, "display_type": display} for query, display in requests],
    }
    if markers:
        definition["markers"] = list(markers)
    if description:
        definition["description"] = description
    return {"definition": definition}


def _group(title: str, widgets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"definition": {"title": title, "type": "group", "layout_type": "ordered", "widgets": widgets}}


def _threshold_markers(
    functions: Sequence[ResolvedFunction], item: str, what: str, op: str, scale: float = 1.0
) -> list[dict[str, str]]:
    """One marker per distinct critical threshold of ``item``, labelled with the functions it applies to."""
    by_value: dict[float, list[str]] = {}
    for fn in functions:
        resolved = fn.items.get(item)
        if resolved is not None:
            by_value.setdefault(resolved.critical * scale, []).append(fn.name)
    return [_marker(value, f"{what} {op} {_number(value)}: {', '.join(names)}") for value, names in by_value.items()]


def _lambda_widgets(
    config: Config, functions: Sequence[ResolvedFunction], settings: DashboardSettings
) -> list[dict[str, Any]]:
    scope = "$env,$functionname"
    by = " by {functionname}"

    def lam(metric: str, suffix: str = ".as_count()", aggregation: str = "sum") -> str:
        return f"{aggregation}:aws.lambda.{metric}{{{scope}}}{by}{suffix}"

    widgets = [
        _timeseries("Invocations", [(lam("invocations"), "bars")]),
        _timeseries(
            "Errors",
            [(lam("errors"), "bars")],
            _threshold_markers(functions, "errors-count", "errors", ">="),
        ),
        _timeseries(
            "Error rate (%)",
            [(f"100 * {lam('errors')} / {lam('invocations')}", "line")],
            _threshold_markers(functions, "errors-rate", "error rate", ">"),
        ),
    ]
    for fn in functions:
        fscope = f"$env,functionname:{fn.name.lower()}"
        markers = []
        p99 = fn.items.get("duration-p99")
        if p99 is not None:
            markers.append(_marker(p99.critical, f"p99 alert > {_number(p99.critical)} ms"))
        share = fn.items.get("duration-timeout")
        if share is not None:
            ms = fn.timeout_s * 1000 * share.critical / 100
            markers.append(
                _marker(ms, f"timeout share {_number(share.critical)}% of {fn.timeout_s} s = {_number(ms)} ms")
            )
        widgets.append(
            _timeseries(
                f"{fn.name}: duration p50/p95/p99 (ms)",
                [(f"avg:aws.lambda.duration.{p}{{{fscope}}}", "line") for p in ("p50", "p95", "p99")],
                markers,
            )
        )
    widgets += [
        _timeseries(
            "Throttles", [(lam("throttles"), "bars")], _threshold_markers(functions, "throttles", "throttles", ">=")
        ),
        _timeseries("Concurrent executions", [(lam("concurrent_executions", "", "max"), "line")]),
    ]
    if settings.instrument_namespace is not False:
        name = f"{settings.instrument_namespace}.cold_starts"
        query = f"sum:{name}{{$env,function_name:$functionname.value}} by {{function_name}}.as_count()"
        widgets.append(_timeseries("Cold starts (@instrument)", [(query, "bars")]))
    return widgets


def _custom_markers(custom: Sequence[CustomMonitor], metric: str) -> list[dict[str, str]]:
    markers: list[dict[str, str]] = []
    for entry in custom:
        if entry.metric == metric and entry.rate_of is None and entry.datadog:
            markers.append(_marker(entry.critical, f"{entry.name}: critical"))
            if entry.warning is not None:
                markers.append(_marker(entry.warning, f"{entry.name}: warning", "warning"))
    return markers


def _metric_title(metric: MetricInfo) -> str:
    return f"{metric.name} ({metric.unit})" if metric.unit else metric.name


def _custom_widgets(
    config: Config, catalog: Sequence[MetricInfo], custom: Sequence[CustomMonitor]
) -> list[dict[str, Any]]:
    scope = "$env"
    widgets: list[dict[str, Any]] = []
    for metric in catalog:
        by = f" by {{{','.join(metric.tag_keys)}}}" if metric.tag_keys else ""
        markers = _custom_markers(custom, metric.name)
        if metric.type == "count":
            requests = [(f"sum:{metric.name}{{{scope}}}{by}.as_count()", "bars")]
        elif metric.type == "gauge":
            requests = [(f"avg:{metric.name}{{{scope}}}{by}", "line")]
        elif metric.type == "histogram":
            requests = [(f"{agg}:{metric.name}{{{scope}}}", "line") for agg in ("avg", "p95", "max")]
        else:
            definition: dict[str, Any] = {
                "title": _metric_title(metric),
                "type": "check_status",
                "check": metric.name,
                "grouping": "cluster",
                "group_by": [],
                "tags": [scope],
            }
            widgets.append({"definition": definition})
            continue
        widgets.append(_timeseries(_metric_title(metric), requests, markers, metric.description))
    for entry in custom:
        if entry.rate_of is None or not entry.datadog:
            continue
        by = f" by {{{','.join(entry.by)}}}" if entry.by else ""
        query = f"sum:{entry.metric}{{{scope}}}{by}.as_count() / sum:{entry.rate_of}{{{scope}}}{by}.as_count()"
        markers = [_marker(entry.critical, f"{entry.name}: critical")]
        if entry.warning is not None:
            markers.append(_marker(entry.warning, f"{entry.name}: warning", "warning"))
        widgets.append(_timeseries(f"{entry.name} ({entry.metric} / {entry.rate_of})", [(query, "line")], markers))
    return widgets


def _title(config: Config, settings: DashboardSettings) -> str:
    if settings.title is not None:
        return settings.title
    return f"{config.service} ({config.env})" if config.env else config.service


def _datadog_body(
    config: Config,
    settings: DashboardSettings,
    functions: Sequence[ResolvedFunction],
    catalog: Sequence[MetricInfo],
) -> dict[str, Any]:
    names = ", ".join(fn.name for fn in functions)
    description = (
        f"Lambda functions ({names}) and declared metrics of {config.service}.\n\n"
        "Managed by lambda-monitors: change the config file, not this dashboard.\n"
        f"{marker_line(config.service)}"
    )
    widgets = [_group("Lambda", _lambda_widgets(config, functions, settings))]
    custom = _custom_widgets(config, catalog, config.custom)
    if custom:
        widgets.append(_group("Custom metrics", custom))
    summary = {
        "title": "Monitors",
        "type": "manage_status",
        "query": f'tag:"{MANAGED_BY_TAG}" tag:"{service_tag(config.service)}"',
        "summary_type": "monitors",
        "display_format": "countsAndList",
        "color_preference": "text",
        "hide_zero_counts": True,
        "sort": "status,asc",
    }
    widgets.append(_group("Monitors", [{"definition": summary}]))
    return {
        "title": _title(config, settings),
        "description": description,
        "layout_type": "ordered",
        "reflow_type": "auto",
        "template_variables": [
            {"name": "env", "prefix": "env", "available_values": [], "defaults": [config.env or "*"]},
            {
                "name": "functionname",
                "prefix": "functionname",
                "available_values": [fn.name.lower() for fn in functions],
                "defaults": ["*"],
            },
        ],
        "widgets": widgets,
    }


# ------------------------------------------------------------------------------ CloudWatch widgets


class _Grid:
    """Places widgets left to right, two per row of a 24-column grid."""

    def __init__(self) -> None:
        self.widgets: list[dict[str, Any]] = []
        self.x = 0
        self.y = 0

    def add(self, widget: dict[str, Any], width: int = 12, height: int = 6) -> None:
        if self.x + width > 24:
            self.x, self.y = 0, self.y + height
        self.widgets.append({**widget, "x": self.x, "y": self.y, "width": width, "height": height})
        self.x += width
        if self.x >= 24:
            self.x, self.y = 0, self.y + height


def _cw_metric_widget(
    title: str, region: str, metrics: list[list[Any]], annotations: Sequence[tuple[float, str]] = (), stat: str = "Sum"
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "title": title,
        "region": region,
        "view": "timeSeries",
        "stacked": False,
        "period": _PERIOD,
        "stat": stat,
        "metrics": metrics,
    }
    if annotations:
        properties["annotations"] = {"horizontal": [{"label": label, "value": value} for value, label in annotations]}
    return {"type": "metric", "properties": properties}


def _cw_thresholds(functions: Sequence[ResolvedFunction], item: str, what: str, op: str) -> list[tuple[float, str]]:
    by_value: dict[float, list[str]] = {}
    for fn in functions:
        resolved = fn.items.get(item)
        if resolved is not None:
            by_value.setdefault(resolved.critical, []).append(fn.name)
    return [(value, f"{what} {op} {_number(value)}: {', '.join(names)}") for value, names in by_value.items()]


def _cloudwatch_body(
    config: Config,
    settings: DashboardSettings,
    functions: Sequence[ResolvedFunction],
    catalog: Sequence[MetricInfo],
) -> dict[str, Any]:
    assert config.cloudwatch is not False and config.cloudwatch.region is not None
    region = config.cloudwatch.region
    grid = _Grid()
    markdown = (
        f"# {_title(config, settings)}\n"
        f"Lambda functions ({', '.join(fn.name for fn in functions)}) and declared metrics of {config.service}. "
        "Managed by lambda-monitors: change the config file, not this dashboard.\n\n"
        f"{marker_line(config.service)}"
    )
    grid.add({"type": "text", "properties": {"markdown": markdown}}, width=24, height=3)

    def per_function(metric: str, options: dict[str, Any] | None = None) -> list[list[Any]]:
        return [[_LAMBDA, metric, "FunctionName", fn.name, *([options] if options else [])] for fn in functions]

    grid.add(_cw_metric_widget("Invocations", region, per_function("Invocations")))
    grid.add(
        _cw_metric_widget(
            "Errors", region, per_function("Errors"), _cw_thresholds(functions, "errors-count", "errors", ">=")
        )
    )
    rate: list[list[Any]] = []
    for index, fn in enumerate(functions):
        rate.append([{"expression": f"100 * e{index} / i{index}", "label": fn.name, "id": f"r{index}"}])
        rate.append([_LAMBDA, "Errors", "FunctionName", fn.name, {"id": f"e{index}", "visible": False}])
        rate.append([_LAMBDA, "Invocations", "FunctionName", fn.name, {"id": f"i{index}", "visible": False}])
    grid.add(
        _cw_metric_widget("Error rate (%)", region, rate, _cw_thresholds(functions, "errors-rate", "error rate", ">"))
    )
    for fn in functions:
        annotations: list[tuple[float, str]] = []
        p99 = fn.items.get("duration-p99")
        if p99 is not None:
            annotations.append((p99.critical, f"p99 alarm > {_number(p99.critical)} ms"))
        share = fn.items.get("duration-timeout")
        if share is not None:
            ms = fn.timeout_s * 1000 * share.critical / 100
            annotations.append((ms, f"timeout share {_number(share.critical)}% of {fn.timeout_s} s"))
        metrics = [
            [_LAMBDA, "Duration", "FunctionName", fn.name, {"stat": p, "label": p}] for p in ("p50", "p95", "p99")
        ]
        grid.add(_cw_metric_widget(f"{fn.name}: duration p50/p95/p99 (ms)", region, metrics, annotations, "p99"))
    grid.add(
        _cw_metric_widget(
            "Throttles", region, per_function("Throttles"), _cw_thresholds(functions, "throttles", "throttles", ">=")
        )
    )
    grid.add(_cw_metric_widget("Concurrent executions", region, per_function("ConcurrentExecutions"), stat="Maximum"))
    if config.cloudwatch.emf:
        namespace = config.cloudwatch.namespace
        if settings.instrument_namespace is not False:
            cold = [[namespace, f"{settings.instrument_namespace}.cold_starts"]]
            grid.add(_cw_metric_widget("Cold starts (@instrument, EMF)", region, cold))
        for metric in catalog:
            annotations = []
            for entry in config.custom:
                if entry.metric == metric.name and entry.rate_of is None and entry.cloudwatch:
                    annotations.append((entry.critical, f"{entry.name}: alarm"))
            if metric.type == "histogram":
                metrics = [[namespace, metric.name, {"stat": s, "label": s}] for s in ("Average", "p95", "Maximum")]
                grid.add(_cw_metric_widget(_metric_title(metric), region, metrics, annotations, "Average"))
                continue
            stat = {"count": "Sum", "gauge": "Average"}.get(metric.type, "Maximum")
            grid.add(_cw_metric_widget(_metric_title(metric), region, [[namespace, metric.name]], annotations, stat))
        for entry in config.custom:
            if entry.rate_of is None or not entry.cloudwatch:
                continue
            metrics = [
                [{"expression": "m / total", "label": entry.name, "id": "rate"}],
                [namespace, entry.metric, {"id": "m", "visible": False}],
                [namespace, entry.rate_of, {"id": "total", "visible": False}],
            ]
            grid.add(
                _cw_metric_widget(
                    f"{entry.name} ({entry.metric} / {entry.rate_of})",
                    region,
                    metrics,
                    [(entry.critical, f"{entry.name}: alarm")],
                )
            )
    return {"widgets": grid.widgets}


# ------------------------------------------------------------------------------------------ build


def build_dashboards(config: Config) -> tuple[tuple[DatadogDashboard, ...], tuple[CloudWatchDashboard, ...]]:
    """The service's dashboards on each enabled backend (empty tuples when ``dashboards:`` is off).

    The config must be valid (use :func:`monitors.render.desired_state`, which checks it first).
    """
    settings = config.dashboards
    if settings is False:
        return (), ()
    from monitors.config import resolve_function

    functions = [resolve_function(config, fn) for fn in config.functions]
    catalog = tuple(config.metrics.metrics) if config.metrics is not None else ()
    datadog: tuple[DatadogDashboard, ...] = ()
    cloudwatch: tuple[CloudWatchDashboard, ...] = ()
    if settings.datadog and config.datadog is not False:
        on_datadog = [fn for fn in functions if fn.datadog] or functions
        body = _datadog_body(config, settings, on_datadog, catalog)
        datadog = (DatadogDashboard(DASHBOARD_KEY, body["title"], json.dumps(body, separators=(",", ":"))),)
    if settings.cloudwatch and config.cloudwatch is not False:
        on_cloudwatch = [fn for fn in functions if fn.cloudwatch] or functions
        body = _cloudwatch_body(config, settings, on_cloudwatch, catalog)
        name = cloudwatch_dashboard_name(config.alarm_name_prefix)
        cloudwatch = (CloudWatchDashboard(DASHBOARD_KEY, name, json.dumps(body, separators=(",", ":"))),)
    return datadog, cloudwatch


# ----------------------------------------------------------------------------------------- checks


def check_datadog_dashboard(payload: Mapping[str, Any], service: str | None = None) -> list[str]:
    """Project rules for a dashboard body: the marker, an ordered layout, titled widgets."""
    problems: list[str] = []
    if not isinstance(payload.get("title"), str) or not payload["title"].strip():
        problems.append("title must be a non-empty string")
    if payload.get("layout_type") not in ("ordered", "free"):
        problems.append(f"layout_type must be 'ordered' or 'free', got {payload.get('layout_type')!r}")
    if not is_owned_datadog_dashboard(payload, service):
        problems.append("the ownership marker is missing from the description")
    widgets = payload.get("widgets")
    if not isinstance(widgets, list) or not widgets:
        problems.append("a dashboard needs at least one widget")
    return problems


def check_cloudwatch_dashboard(payload: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Project rules for ``put_dashboard`` arguments (moto checks neither the name nor the body)."""
    problems: list[str] = []
    name = payload.get("DashboardName")
    if not isinstance(name, str) or not _CLOUDWATCH_NAME.fullmatch(name):
        problems.append("DashboardName must be 1-255 characters of letters, digits, '-' and '_'")
    elif prefix and not name.startswith(cloudwatch_dashboard_name(prefix, "")):
        problems.append(f"DashboardName {name!r} does not start with the ownership prefix")
    body = payload.get("DashboardBody")
    if not isinstance(body, str):
        return [*problems, "DashboardBody must be a JSON string"]
    if len(body.encode("utf-8")) > CLOUDWATCH_DASHBOARD_MAX_BYTES:
        problems.append("DashboardBody is larger than 1 MB")
    try:
        data = json.loads(body)
    except ValueError as exc:
        return [*problems, f"DashboardBody is not JSON: {exc}"]
    widgets = data.get("widgets") if isinstance(data, dict) else None
    if not isinstance(widgets, list) or not widgets:
        return [*problems, "DashboardBody needs a non-empty 'widgets' list"]
    if len(widgets) > 500:
        problems.append(f"{len(widgets)} widgets; CloudWatch allows at most 500")
    for index, widget in enumerate(widgets):
        where = f"widgets[{index}]"
        if not isinstance(widget, dict) or widget.get("type") not in ("metric", "text", "alarm", "log", "explorer"):
            problems.append(f"{where}: unknown widget type")
            continue
        for field in ("x", "y", "width", "height"):
            value = widget.get(field)
            limit = 24 if field in ("x", "width") else 1000
            if not isinstance(value, int) or not 0 <= value <= limit:
                problems.append(f"{where}.{field} must be an integer from 0 to {limit}")
        if widget.get("x", 0) + widget.get("width", 0) > 24:
            problems.append(f"{where} is wider than the 24-column grid")
        properties = widget.get("properties")
        if not isinstance(properties, dict):
            problems.append(f"{where}.properties must be an object")
            continue
        if widget["type"] == "metric":
            if not isinstance(properties.get("region"), str):
                problems.append(f"{where}.properties.region is required")
            metrics = properties.get("metrics")
            if not isinstance(metrics, list) or not metrics or not all(isinstance(m, list) for m in metrics):
                problems.append(f"{where}.properties.metrics must be a non-empty list of arrays")
            elif len(metrics) > 500:
                problems.append(f"{where} has {len(metrics)} metrics; at most 500")
        elif widget["type"] == "text" and not isinstance(properties.get("markdown"), str):
            problems.append(f"{where}.properties.markdown is required")
    if not is_owned_cloudwatch_dashboard(str(name), body, prefix):
        problems.append("the ownership marker is missing (name prefix and marker text widget)")
    return problems


def check_datadog_dashboard_model(body: Mapping[str, Any]) -> list[str]:
    """Problems ``datadog-api-client``'s v1 ``Dashboard`` model finds in a body (imported lazily).

    The body is read the way the client reads API JSON; a type error, a missing required field or
    any part the model cannot parse (an unknown widget type, enum value or oneOf) is a problem.
    """
    from datadog_api_client import Configuration
    from datadog_api_client.exceptions import OpenApiException
    from datadog_api_client.model_utils import (
        ModelComposed,
        ModelSimple,
        OpenApiModel,
        UnparsedObject,
        validate_and_convert_types,
    )
    from datadog_api_client.v1.model.dashboard import Dashboard

    try:
        model = validate_and_convert_types(  # type: ignore[no-untyped-call]
            json.loads(json.dumps(body)),
            (Dashboard,),
            ["body"],
            True,
            True,
            configuration=Configuration(),  # type: ignore[no-untyped-call]
        )
    except (OpenApiException, TypeError, ValueError) as exc:
        return [str(exc)]
    problems: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, UnparsedObject):
            problems.append(f"{path}: not understood by the Datadog model")
        elif isinstance(value, ModelSimple):
            if value._unparsed:
                problems.append(f"{path}: invalid value {getattr(value, 'value', None)!r}")
        elif isinstance(value, ModelComposed):
            if value._unparsed:
                problems.append(f"{path}: matches no widget schema")
                return
            for instance in value._composed_instances:
                if instance is not value:
                    walk(instance, path)
        elif isinstance(value, OpenApiModel):
            for key, child in value._data_store.items():
                walk(child, f"{path}.{key}")
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, f"{path}[{index}]")

    walk(model, "body")
    return list(dict.fromkeys(problems))
