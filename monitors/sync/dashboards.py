"""Dashboards: Datadog (``datadog.api.Dashboard``) and CloudWatch (``put_dashboard``) backends.

One dashboard per service and backend (:mod:`monitors.dashboards` builds them). Neither service
lists what a plan must compare: Datadog's ``GET /api/v1/dashboard`` returns summaries (title and
description, where the ownership marker lives, but no widgets) and ``list_dashboards`` returns names
only (the marker is in the body). So each backend lists (paged), then reads the few dashboards the
scope may own (``GET /api/v1/dashboard/{id}``, ``get_dashboard``): about one read per service and
backend. Same-title/same-name dashboards without the marker are read only when they would be adopted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from monitors.dashboards import (
    DATADOG_DASHBOARD_MANAGED_FIELDS,
    check_datadog_dashboard,
    cloudwatch_dashboard_name,
    key_from_dashboard_text,
    normalize_datadog_dashboard,
)
from monitors.sync._retry import Failure, RetryPolicy
from monitors.sync._types import Desired, FieldChange, Owner, Remote
from monitors.sync.backend import diff_fields
from monitors.sync.cloudwatch import CloudWatchAlarms
from monitors.sync.datadog import DatadogClient

__all__ = ["CloudWatchDashboards", "DatadogDashboards"]

PAGE: Final = 100
_CW_FIELDS: Final = ("DashboardBody",)


def _owner(text: object, service: str) -> tuple[Owner, str | None]:
    if key_from_dashboard_text(text, service) is not None:
        return Owner.OWNED, key_from_dashboard_text(text, service)
    if key_from_dashboard_text(text) is not None:
        return Owner.FOREIGN, key_from_dashboard_text(text)
    return Owner.UNOWNED, None


class DatadogDashboards(DatadogClient):
    """Datadog dashboards of one service scope; the marker is in the description."""

    kind = "datadog_dashboards"
    label = "Datadog dashboard"
    names_unique = False

    def _remote(self, dashboard: Mapping[str, Any], full: bool) -> Remote:
        owner, key = _owner(dashboard.get("description"), self.service)
        dashboard_id = str(dashboard.get("id"))
        return Remote(
            id=dashboard_id,
            ident=key if key and owner is Owner.OWNED else f"id:{dashboard_id}",
            name=str(dashboard.get("title", "")),
            key=key,
            owner=owner,
            fields=normalize_datadog_dashboard(dashboard),
            verified=full,
        )

    def _get(self, dashboard_id: str) -> Remote:
        from datadog.api.dashboards import Dashboard

        return self._remote(self._read("get", Dashboard.get, dashboard_id), True)

    def _summaries(self) -> list[Remote]:
        from datadog.api.dashboards import Dashboard

        found: list[Remote] = []
        start = 0
        while True:
            answer = self._read("list", Dashboard.get_all, start=start, count=PAGE)
            batch = answer.get("dashboards", []) if isinstance(answer, dict) else []
            found.extend(self._remote(d, False) for d in batch if isinstance(d, dict))
            if len(batch) < PAGE:
                return found
            start += PAGE

    def desired(self, obj: Any) -> Desired:
        payload = obj.payload()
        return Desired(obj.key, obj.key, str(payload.get("title", "")), payload, normalize_datadog_dashboard(payload))

    def list_owned(self) -> list[Remote]:
        summaries = self._summaries()
        owned = [self._get(r.id) for r in summaries if r.owner is Owner.OWNED]
        return owned + [r for r in summaries if r.owner is not Owner.OWNED]

    def find_by_names(self, names: Sequence[str]) -> list[Remote]:
        return []  # list_owned already returned every summary

    def verify(self, remotes: Sequence[Remote]) -> list[Remote]:
        return [r if r.verified else self._get(r.id) for r in remotes]

    def diff(self, desired: Desired, remote: Remote) -> list[FieldChange]:
        return diff_fields(desired.fields, remote.fields, DATADOG_DASHBOARD_MANAGED_FIELDS)

    def validate(self, desired: Desired) -> list[str]:
        return check_datadog_dashboard(desired.payload, self.service)

    def create(self, desired: Desired) -> str:
        from datadog.api.dashboards import Dashboard

        return str(self._request("create", Dashboard.create, **dict(desired.payload))["id"])

    def find_created(self, desired: Desired) -> str | None:
        for remote in self._summaries():
            if remote.owner is Owner.OWNED and remote.key == desired.key:
                return remote.id
        return None

    def update(self, desired: Desired, remote: Remote) -> str:
        from datadog.api.dashboards import Dashboard

        self._request("update", Dashboard.update, remote.id, **dict(desired.payload))
        return remote.id

    def delete(self, remotes: Sequence[Remote]) -> list[tuple[Remote, str | None]]:
        from datadog.api.dashboards import Dashboard

        (remote,) = remotes
        self._request("delete", Dashboard.delete, remote.id)
        return [(remote, None)]

    def max_delete_batch(self) -> int:
        return 1


class CloudWatchDashboards:
    """CloudWatch dashboards named ``<sanitised alarm prefix><key>``; the marker is in the body."""

    kind = "cloudwatch_dashboards"
    label = "CloudWatch dashboard"
    names_unique = True

    def __init__(self, alarms: CloudWatchAlarms) -> None:
        self._alarms = alarms
        self.service = alarms.service
        self.prefix = cloudwatch_dashboard_name(alarms.prefix, "")
        self.client = alarms.client
        self.requests = alarms.requests
        self.retry: RetryPolicy = alarms.retry
        self.gate = alarms.gate

    def _read_one(self, name: str) -> Remote:
        body = str(self.client.get_dashboard(DashboardName=name).get("DashboardBody", "{}"))
        owner, key = _owner(body, self.service)
        if owner is Owner.OWNED and not name.startswith(self.prefix):
            owner = Owner.FOREIGN
        return Remote(id=name, ident=name, name=name, key=key, owner=owner, fields={"DashboardBody": json.loads(body)})

    def desired(self, obj: Any) -> Desired:
        payload = obj.payload()
        name = str(payload["DashboardName"])
        return Desired(obj.key, name, name, payload, {"DashboardBody": json.loads(payload["DashboardBody"])})

    def list_owned(self) -> list[Remote]:
        paginator = self.client.get_paginator("list_dashboards")
        names = [
            str(entry["DashboardName"])
            for page in paginator.paginate(DashboardNamePrefix=self.prefix)
            for entry in page.get("DashboardEntries", [])
        ]
        return [self._read_one(name) for name in names]

    def find_by_names(self, names: Sequence[str]) -> list[Remote]:
        from botocore.exceptions import ClientError

        found = []
        for name in names:
            if name.startswith(self.prefix):
                continue
            try:
                found.append(self._read_one(name))
            except ClientError:
                continue
        return found

    def verify(self, remotes: Sequence[Remote]) -> list[Remote]:
        return list(remotes)

    def diff(self, desired: Desired, remote: Remote) -> list[FieldChange]:
        return diff_fields(desired.fields, remote.fields, _CW_FIELDS)

    def validate(self, desired: Desired) -> list[str]:
        from monitors.dashboards import check_cloudwatch_dashboard

        return check_cloudwatch_dashboard(desired.payload)

    def create(self, desired: Desired) -> str:
        self.client.put_dashboard(**desired.payload)
        return desired.ident

    def find_created(self, desired: Desired) -> str | None:
        return None  # put_dashboard is idempotent

    def update(self, desired: Desired, remote: Remote) -> str:
        self.client.put_dashboard(**desired.payload)
        return remote.id

    def delete(self, remotes: Sequence[Remote]) -> list[tuple[Remote, str | None]]:
        self.client.delete_dashboards(DashboardNames=[r.id for r in remotes])
        return [(r, None) for r in remotes]

    def max_delete_batch(self) -> int:
        return 100

    def classify(self, exc: BaseException) -> Failure:
        return self._alarms.classify(exc)
