"""Sync monitors and alarms to Datadog and CloudWatch: plan first, apply safely.

::

    from monitors import expand, load_config
    from monitors.sync import Engine, SyncOptions, backends_from_env

    state = expand(load_config("monitors.yaml"))
    backends, notes = backends_from_env(state)
    engine = Engine(state, backends, SyncOptions(prune=True))
    plan = engine.plan()
    results = engine.apply(plan)

Layout: ``_types`` (values), ``plan`` (the pure planner), ``backend`` (the Protocol a resource kind
implements), ``datadog`` and ``cloudwatch`` (the two backends), ``_retry`` (backoff, rate-limit gate),
``engine`` (fetch, plan, validate, apply on a worker pool), ``output`` (human/JSON text). The CLI
commands live in :mod:`monitors.cli_sync`.
"""

from monitors.sync._retry import RetryPolicy
from monitors.sync._types import Action, Change, Desired, FieldChange, Owner, Remote, Result
from monitors.sync.backend import Backend
from monitors.sync.engine import Engine, SyncError, SyncOptions, backends_from_env
from monitors.sync.plan import KindPlan, Plan, PlanOptions, plan_kind

__all__ = [
    "Action",
    "Backend",
    "Change",
    "Desired",
    "Engine",
    "FieldChange",
    "KindPlan",
    "Owner",
    "Plan",
    "PlanOptions",
    "Remote",
    "Result",
    "RetryPolicy",
    "SyncError",
    "SyncOptions",
    "backends_from_env",
    "plan_kind",
]
