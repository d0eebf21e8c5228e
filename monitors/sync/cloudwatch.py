"""CloudWatch metric alarms through ``boto3`` (standard credential chain, ``AWS_ENDPOINT_URL`` works).

Listing is one ``describe_alarms`` paginator over ``AlarmNamePrefix`` (about one request per 100
alarms) and never reads an alarm on its own. ``describe_alarms`` does not return tags, so the tags a
sync wrote are summarised in a marker at the end of ``AlarmDescription``::

    <description> [lambda-monitors service=screen-resize tags=3f2a9c01d4e7]

(``tags`` is the first 12 hex digits of the SHA-256 of the sorted ``key=value`` lines). A plan
compares the description, every managed field and that digest, so "nothing changed" needs no
per-alarm request. The marker is only a hint: before an alarm is updated, adopted or deleted its real
tags are read (``list_tags_for_resource``), and ownership is decided by the name prefix plus the
``managed-by``/``lambda-monitors-service`` tags, as :mod:`monitors.ownership` requires. Tags an
operator changes by hand without touching the description are therefore not seen until the next
change of that alarm (documented in README.md, "Sync").

``put_metric_alarm`` ignores ``Tags`` for an existing alarm, so updates reconcile tags with
``tag_resource``/``untag_resource`` first and write the alarm (with the new digest) last: if the
tagging fails, the old digest stays and the next plan shows the change again. ``delete_alarms`` takes
at most 100 names. Retries are botocore's standard mode.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from monitors.model import CLOUDWATCH_MANAGED_FIELDS
from monitors.ownership import KEY_TAG_KEY, MANAGED_BY_KEY, MANAGED_BY_VALUE, SERVICE_TAG_KEY
from monitors.sync._retry import Failure, RateLimitGate, RetryPolicy
from monitors.sync._secrets import add_secret, redact
from monitors.sync._types import Desired, FieldChange, Owner, Remote
from monitors.sync.backend import RequestCounter, diff_fields

__all__ = ["CloudWatchAlarms", "normalize_alarm", "split_marker", "tags_digest"]

DESCRIPTION_MAX: Final = 1024
DELETE_BATCH: Final = 100
_MARKER = re.compile(r" \[lambda-monitors service=(?P<service>[^\s\]]+) tags=(?P<digest>[0-9a-f]{12})\]\Z")
_SIMPLE_FIELDS: Final = tuple(f for f in CLOUDWATCH_MANAGED_FIELDS if f != "Tags")
FIELDS: Final = (*_SIMPLE_FIELDS, "Tags", "marker")
_THROTTLED: Final = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"})


def tags_digest(tags: Mapping[str, str]) -> str:
    """12 hex digits summarising a tag set (order-independent)."""
    text = "\n".join(f"{k}={v}" for k, v in sorted(tags.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def marker(service: str, tags: Mapping[str, str]) -> str:
    return f" [lambda-monitors service={service} tags={tags_digest(tags)}]"


def split_marker(description: str) -> tuple[str, dict[str, str] | None]:
    """``(description without marker, {"service": ..., "digest": ...} or None)``."""
    match = _MARKER.search(description)
    if match is None:
        return description, None
    return description[: match.start()], {"service": match["service"], "digest": match["digest"]}


def _dimensions(value: Any) -> list[dict[str, str]] | None:
    dims = [{"Name": str(d.get("Name")), "Value": str(d.get("Value"))} for d in value or [] if isinstance(d, Mapping)]
    return sorted(dims, key=lambda d: (str(d["Name"]), str(d["Value"]))) or None


def _metric_query(query: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Id": query.get("Id"), "ReturnData": query.get("ReturnData", True)}
    stat = query.get("MetricStat")
    if isinstance(stat, Mapping):
        metric = stat.get("Metric") or {}
        out["MetricStat"] = {
            "Metric": {
                "Namespace": metric.get("Namespace"),
                "MetricName": metric.get("MetricName"),
                "Dimensions": _dimensions(metric.get("Dimensions")),
            },
            "Period": stat.get("Period"),
            "Stat": stat.get("Stat"),
        }
        if stat.get("Unit"):
            out["MetricStat"]["Unit"] = stat["Unit"]
    for name in ("Expression", "Label", "Period", "AccountId"):
        if query.get(name) is not None:
            out[name] = query[name]
    return out


def normalize_alarm(alarm: Mapping[str, Any]) -> dict[str, Any]:
    """Managed fields (except tags) of a ``put_metric_alarm`` payload or a ``describe_alarms`` entry.

    Action lists and dimensions are compared as sets, the threshold as a float, absent and empty
    values alike, and ``DatapointsToAlarm``/``TreatMissingData`` with the service's defaults.
    """
    description, found = split_marker(str(alarm.get("AlarmDescription") or ""))
    out: dict[str, Any] = {"AlarmDescription": description, "ActionsEnabled": bool(alarm.get("ActionsEnabled", True))}
    for name in ("OKActions", "AlarmActions", "InsufficientDataActions"):
        out[name] = sorted(alarm.get(name) or [])
    for name in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "ComparisonOperator"):
        out[name] = alarm.get(name) or None
    out["Dimensions"] = _dimensions(alarm.get("Dimensions"))
    out["EvaluationPeriods"] = alarm.get("EvaluationPeriods")
    out["DatapointsToAlarm"] = alarm.get("DatapointsToAlarm") or alarm.get("EvaluationPeriods")
    threshold = alarm.get("Threshold")
    out["Threshold"] = float(threshold) if isinstance(threshold, (int, float)) else threshold
    out["TreatMissingData"] = alarm.get("TreatMissingData") or "missing"
    out["EvaluateLowSampleCountPercentile"] = alarm.get("EvaluateLowSampleCountPercentile") or None
    metrics = [_metric_query(q) for q in alarm.get("Metrics") or [] if isinstance(q, Mapping)]
    out["Metrics"] = metrics or None
    out["marker"] = found
    return out


def _tag_dict(tags: Any) -> dict[str, str]:
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags or [] if isinstance(t, Mapping) and "Key" in t}


class CloudWatchAlarms:
    """The CloudWatch alarm backend (see the module docstring)."""

    kind = "cloudwatch_alarms"
    label = "CloudWatch alarm"
    names_unique = True

    def __init__(
        self,
        service: str,
        prefix: str,
        *,
        region: str | None = None,
        client: Any = None,
        max_attempts: int = 5,
        pool_size: int = 10,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.service = service
        self.prefix = prefix
        self.retry = retry or RetryPolicy.from_env()
        self.gate = RateLimitGate()
        self.requests = RequestCounter()
        if client is None:
            import boto3
            from botocore.config import Config

            session = boto3.session.Session(region_name=region) if region else boto3.session.Session()
            credentials = session.get_credentials()
            if credentials is not None:
                frozen = credentials.get_frozen_credentials()
                add_secret(frozen.secret_key)
                add_secret(frozen.token)
            config = Config(
                retries={"mode": "standard", "max_attempts": max_attempts},
                max_pool_connections=max(10, pool_size),
                connect_timeout=10,
                read_timeout=30,
            )
            client = session.client("cloudwatch", config=config)
        self.client = client
        client.meta.events.register("before-send.cloudwatch", self._count)

    def _count(self, **kwargs: Any) -> None:
        operation = str(kwargs.get("event_name", "")).rsplit(".", 1)[-1]
        self.requests.add(operation)

    # -- conversion --------------------------------------------------------------------------------

    def _remote(self, alarm: Mapping[str, Any], tags: Mapping[str, str] | None = None) -> Remote:
        name = str(alarm.get("AlarmName", ""))
        fields = normalize_alarm(alarm)
        found = fields["marker"]
        if tags is not None:
            fields["Tags"] = dict(tags)
            service = tags.get(SERVICE_TAG_KEY) if tags.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE else None
            key = tags.get(KEY_TAG_KEY)
        else:
            service = found["service"] if found else None
            key = None
        if service is None:
            owner = Owner.UNOWNED
        elif service == self.service and name.startswith(self.prefix):
            owner = Owner.OWNED
        else:
            owner = Owner.FOREIGN
        if key is None and name.startswith(self.prefix):
            key = name[len(self.prefix) :]
        return Remote(
            id=name,
            ident=name,
            name=name,
            key=key,
            owner=owner,
            fields=fields,
            verified=tags is not None,
            service=service,
            extra={"arn": alarm.get("AlarmArn"), "alarm": dict(alarm)},
        )

    def _describe(self, **params: Any) -> list[Remote]:
        paginator = self.client.get_paginator("describe_alarms")
        found: list[Remote] = []
        for page in paginator.paginate(AlarmTypes=["MetricAlarm"], **params):
            found.extend(self._remote(a) for a in page.get("MetricAlarms", []))
        return found

    # -- Backend -----------------------------------------------------------------------------------

    def desired(self, obj: Any) -> Desired:
        payload = obj.payload()
        tags = _tag_dict(payload.get("Tags"))
        wire = dict(payload)
        wire["AlarmDescription"] = str(payload.get("AlarmDescription") or "") + marker(self.service, tags)
        fields = normalize_alarm(wire)
        fields["Tags"] = tags
        return Desired(key=obj.key, ident=wire["AlarmName"], name=wire["AlarmName"], payload=wire, fields=fields)

    def list_owned(self) -> list[Remote]:
        return self._describe(AlarmNamePrefix=self.prefix)

    def find_by_names(self, names: Sequence[str]) -> list[Remote]:
        outside = sorted({n for n in names if not n.startswith(self.prefix)})
        found: list[Remote] = []
        for start in range(0, len(outside), 100):
            found.extend(self._describe(AlarmNames=outside[start : start + 100]))
        return found

    def verify(self, remotes: Sequence[Remote]) -> list[Remote]:
        verified = []
        for remote in remotes:
            answer = self.client.list_tags_for_resource(ResourceARN=remote.extra["arn"])
            verified.append(self._remote(remote.extra["alarm"], _tag_dict(answer.get("Tags"))))
        return verified

    def diff(self, desired: Desired, remote: Remote) -> list[FieldChange]:
        changes = diff_fields(desired.fields, remote.fields, _SIMPLE_FIELDS)
        if "Tags" in remote.fields:
            changes += diff_fields(desired.fields, remote.fields, ("Tags",))
        elif (remote.fields.get("marker") or {}).get("digest") != desired.fields["marker"]["digest"]:
            changes.append(FieldChange("Tags", "(not read yet)", desired.fields["Tags"]))
        if not changes and remote.fields.get("marker") != desired.fields["marker"]:
            changes.append(FieldChange("marker", remote.fields.get("marker"), desired.fields["marker"]))
        return changes

    def validate(self, desired: Desired) -> list[str]:
        from monitors.validate import check_cloudwatch_params

        problems = []
        description = str(desired.payload.get("AlarmDescription", ""))
        if len(description) > DESCRIPTION_MAX:
            problems.append(
                f"AlarmDescription with the sync marker is {len(description)} characters; at most {DESCRIPTION_MAX}"
            )
        problems += check_cloudwatch_params(dict(desired.payload))
        return problems

    def create(self, desired: Desired) -> str:
        self.client.put_metric_alarm(**desired.payload)
        return desired.ident

    def find_created(self, desired: Desired) -> str | None:
        return None  # put_metric_alarm is idempotent: repeating it cannot make a duplicate

    def update(self, desired: Desired, remote: Remote) -> str:
        if "Tags" not in remote.fields:
            (remote,) = self.verify([remote])
        arn = remote.extra["arn"]
        current: Mapping[str, str] = remote.fields["Tags"]
        wanted: Mapping[str, str] = desired.fields["Tags"]
        add = [{"Key": k, "Value": v} for k, v in wanted.items() if current.get(k) != v]
        remove = [k for k in current if k not in wanted and not k.startswith("aws:")]
        if add:
            self.client.tag_resource(ResourceARN=arn, Tags=add)
        if remove:
            self.client.untag_resource(ResourceARN=arn, TagKeys=remove)
        payload = {k: v for k, v in desired.payload.items() if k != "Tags"}
        self.client.put_metric_alarm(**payload)
        return remote.id

    def delete(self, remotes: Sequence[Remote]) -> list[tuple[Remote, str | None]]:
        self.client.delete_alarms(AlarmNames=[r.id for r in remotes])
        return [(r, None) for r in remotes]

    def max_delete_batch(self) -> int:
        return DELETE_BATCH

    def classify(self, exc: BaseException) -> Failure:
        from botocore.exceptions import ClientError, NoCredentialsError

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            message = redact(f"{code}: {error.get('Message', '')}")
            if code in _THROTTLED:
                return Failure("rate_limited", message)
            if code in ("ResourceNotFound", "ResourceNotFoundException"):
                return Failure("not_found", message)
            return Failure("permanent", message)
        if isinstance(exc, NoCredentialsError):
            return Failure("permanent", "no AWS credentials found (standard chain: env, profile, role)")
        return Failure("permanent", redact(f"{type(exc).__name__}: {exc}"))
