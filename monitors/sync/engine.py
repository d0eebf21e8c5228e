"""Fetch, plan, validate and apply: the sync engine over any number of backends.

``Engine(state, backends, options).plan()`` lists each backend (concurrently), plans it
(:func:`monitors.sync.plan.plan_kind`), looks up same-name objects for the creates, re-reads the few
objects a change would touch whose ownership came from a cheap listing only, and validates every
object to create or update. ``apply(plan)`` runs the changes on a bounded worker pool: each change is
retried per its backend's :class:`RetryPolicy`, a 429 pauses every worker of that backend until the
reset, a create whose answer was lost is looked up by identity before being repeated, deletes are
batched, and one failure never stops the others. Running again converges: every apply starts from a
fresh listing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Final

from monitors.errors import MonitorsError
from monitors.model import DesiredState
from monitors.ownership import default_alarm_prefix
from monitors.sync._retry import Failure, SyncOperationError, call_with_retry
from monitors.sync._secrets import redact
from monitors.sync._types import Action, Change, Remote, Result
from monitors.sync.backend import Backend
from monitors.sync.plan import KindPlan, Plan, PlanOptions, plan_kind

__all__ = ["DEFAULT_WORKERS", "Engine", "SyncError", "SyncOptions", "backends_from_env"]

DEFAULT_WORKERS: Final = 16
_VERIFY_CHUNK: Final = 20


class SyncError(MonitorsError):
    """A sync could not even be planned (a listing failed, credentials are missing...)."""


class ApplyInterrupted(MonitorsError):
    """Ctrl-C during an apply: what was queued but not started was cancelled; ``results`` has every
    change, the ones not applied marked as such, so the summary is exact and a new apply converges."""

    def __init__(self, results: list[Result]) -> None:
        self.results = results
        skipped = sum(1 for r in results if r.error == INTERRUPTED)
        super().__init__(f"interrupted: {skipped} change(s) were not applied; run apply again to converge")


INTERRUPTED: Final = "not applied: interrupted"


@dataclass(frozen=True)
class SyncOptions:
    prune: bool = False
    adopt: bool = False
    validate: bool = True
    workers: int = DEFAULT_WORKERS


Progress = Callable[[Result], None]


class Engine:
    """Plans and applies ``state`` through ``backends`` (one per object kind)."""

    def __init__(self, state: DesiredState, backends: Sequence[Backend], options: SyncOptions | None = None) -> None:
        self.state = state
        self.backends = list(backends)
        self.options = options or SyncOptions()
        self._by_kind = {b.kind: b for b in self.backends}

    # -- plan --------------------------------------------------------------------------------------

    def plan(self) -> Plan:
        with ThreadPoolExecutor(max(1, len(self.backends)), thread_name_prefix="lm-plan") as pool:
            futures = [pool.submit(self._plan_backend, b) for b in self.backends]
            kinds = [self._result(f, b, "list") for f, b in zip(futures, self.backends, strict=True)]
        return Plan(tuple(kinds))

    @staticmethod
    def _result(future: Future[KindPlan], backend: Backend, what: str) -> KindPlan:
        try:
            return future.result()
        except SyncOperationError as exc:
            raise SyncError(f"{backend.label}s: cannot {what}: {exc.failure.message}") from None
        except MonitorsError:
            raise
        except Exception as exc:
            raise SyncError(f"{backend.label}s: cannot {what}: {backend.classify(exc).message}") from None

    def _plan_backend(self, backend: Backend) -> KindPlan:
        with ThreadPoolExecutor(max(1, self.options.workers), thread_name_prefix="lm-read") as pool:
            return self._plan_with(backend, pool)

    def _plan_with(self, backend: Backend, pool: ThreadPoolExecutor) -> KindPlan:
        options = PlanOptions(prune=self.options.prune, adopt=self.options.adopt)
        desired = [backend.desired(obj) for obj in getattr(self.state, backend.kind, ())]
        remotes = {r.id: r for r in backend.list_owned()}

        def replan() -> KindPlan:
            return plan_kind(
                backend.kind,
                backend.label,
                desired,
                list(remotes.values()),
                backend.diff,
                names_unique=backend.names_unique,
                options=options,
            )

        plan = replan()
        creates = [c.name for c in plan.changes if c.action is Action.CREATE]
        if creates:
            for remote in backend.find_by_names(creates):
                remotes.setdefault(remote.id, remote)
            plan = replan()
        for _ in range(3):
            unverified = {
                c.remote.id: c.remote
                for c in plan.changes
                if c.remote is not None and not c.remote.verified and c.action is not Action.NOOP
            }
            if not unverified:
                break
            for remote in self._verify(backend, list(unverified.values()), pool):
                remotes[remote.id] = remote
            plan = replan()
        if self.options.validate:
            plan = self._validate(backend, plan, pool)
        return plan

    def _verify(self, backend: Backend, remotes: list[Remote], pool: ThreadPoolExecutor) -> list[Remote]:
        def read(chunk: list[Remote]) -> list[Remote]:
            found, _ = call_with_retry(lambda: backend.verify(chunk), backend.classify, backend.retry, backend.gate)
            return found

        chunks = [remotes[i : i + _VERIFY_CHUNK] for i in range(0, len(remotes), _VERIFY_CHUNK)]
        return [r for found in pool.map(read, chunks) for r in found]

    def _validate(self, backend: Backend, plan: KindPlan, pool: ThreadPoolExecutor) -> KindPlan:
        def check(change: Change) -> Change:
            if change.desired is None or change.action not in (Action.CREATE, Action.UPDATE, Action.ADOPT):
                return change
            try:
                errors = backend.validate(change.desired)
            except SyncOperationError as exc:
                errors = [f"could not validate: {exc.failure.message}"]
            return replace(change, errors=tuple(redact(e) for e in errors)) if errors else change

        return replace(plan, changes=tuple(pool.map(check, plan.changes)))

    # -- apply -------------------------------------------------------------------------------------

    def apply(self, plan: Plan, progress: Progress | None = None) -> list[Result]:
        """Run every pending change of ``plan``; returns one :class:`Result` per change."""
        tasks: list[tuple[Backend, list[Change]]] = []
        for kind in plan.kinds:
            backend = self._by_kind[kind.kind]
            deletes = [c for c in kind.changes if c.action is Action.DELETE]
            others = [c for c in kind.changes if c.action.is_change and c.action is not Action.DELETE]
            tasks += [(backend, [c]) for c in others]
            size = max(1, backend.max_delete_batch())
            tasks += [(backend, deletes[i : i + size]) for i in range(0, len(deletes), size)]
        results: list[Result] = []
        pool = ThreadPoolExecutor(max(1, self.options.workers), thread_name_prefix="lm-apply")
        futures = [pool.submit(self._run, backend, changes) for backend, changes in tasks]
        consumed = 0
        try:
            for future in futures:
                for result in future.result():
                    results.append(result)
                    if progress is not None:
                        progress(result)
                consumed += 1
        except KeyboardInterrupt:
            # Stop starting new changes, let the running ones finish (a request half sent is worse
            # than one more second), and account for every change.
            for future in futures[consumed:]:
                future.cancel()
            pool.shutdown(wait=True)
            for future, (_, changes) in zip(futures[consumed:], tasks[consumed:], strict=True):
                if future.cancelled():
                    results += [Result(c, False, error=INTERRUPTED) for c in changes]
                else:
                    results += [r for r in future.result() if r not in results]
            raise ApplyInterrupted(results) from None
        finally:
            pool.shutdown(wait=True)
        return results

    def _run(self, backend: Backend, changes: list[Change]) -> list[Result]:
        first = changes[0]
        before_retry: Callable[[], str | None] | None = None
        operation: Callable[[], str]
        if first.action is Action.CREATE:
            desired = _need(first.desired)
            operation = lambda: backend.create(desired)  # noqa: E731
            before_retry = lambda: backend.find_created(desired)  # noqa: E731
        elif first.action in (Action.UPDATE, Action.ADOPT):
            desired, remote = _need(first.desired), _need(first.remote)
            operation = lambda: backend.update(desired, remote)  # noqa: E731
        else:
            remotes = [_need(c.remote) for c in changes]

            def operation() -> str:
                backend.delete(remotes)
                return ",".join(r.id for r in remotes)

        try:
            remote_id, attempts = call_with_retry(
                operation, backend.classify, backend.retry, backend.gate, before_retry=before_retry
            )
        except SyncOperationError as exc:
            if first.action is Action.DELETE and exc.failure.kind == "not_found" and len(changes) == 1:
                return [Result(first, True, attempts=exc.attempts, remote_id=first.remote_id)]
            return [Result(c, False, error=_reason(exc.failure), attempts=exc.attempts) for c in changes]
        except Exception as exc:  # a bug or an unexpected client error: report it, keep going
            failure = backend.classify(exc)
            return [Result(c, False, error=_reason(failure)) for c in changes]
        if first.action is Action.DELETE:
            return [Result(c, True, attempts=attempts, remote_id=c.remote_id) for c in changes]
        return [Result(first, True, attempts=attempts, remote_id=remote_id)]


def _need(value: Any) -> Any:
    if value is None:
        raise ValueError("the plan is missing an object for this change")
    return value


def _reason(failure: Failure) -> str:
    return redact(failure.message)


def backends_from_env(
    state: DesiredState,
    env: Mapping[str, str] | None = None,
    *,
    targets: Sequence[str] = ("datadog", "cloudwatch"),
    workers: int = DEFAULT_WORKERS,
    prune: bool = False,
) -> tuple[list[Backend], list[str]]:
    """The backends ``state`` needs, configured from the environment; also notes on skipped ones.

    Datadog needs ``DD_API_KEY`` and ``DD_APP_KEY``; when both are missing and the file wants no
    Datadog monitor, Datadog is skipped with a note (nothing could be pruned there either).
    Dashboards are listed only when the file has one or ``prune`` is set (a dashboard switched off
    in the file is then deleted).
    """
    env = os.environ if env is None else env
    backends: list[Backend] = []
    notes: list[str] = []
    if "datadog" in targets:
        api_key, app_key = env.get("DD_API_KEY", ""), env.get("DD_APP_KEY", "")
        if api_key and app_key:
            from monitors.sync.datadog import DatadogMonitors, api_host_from_env

            host = api_host_from_env(env)
            backends.append(
                DatadogMonitors(state.service, api_key=api_key, app_key=app_key, api_host=host, pool_size=workers)
            )
            if getattr(state, "datadog_dashboards", ()) or prune:
                from monitors.sync.dashboards import DatadogDashboards

                backends.append(
                    DatadogDashboards(state.service, api_key=api_key, app_key=app_key, api_host=host, pool_size=workers)
                )
        elif state.datadog_monitors or getattr(state, "datadog_dashboards", ()):
            missing = " and ".join(n for n, v in (("DD_API_KEY", api_key), ("DD_APP_KEY", app_key)) if not v)
            raise SyncError(
                f"Datadog needs an API key and an application key: set {missing} in the environment "
                "(DD_SITE or DD_API_HOST choose the endpoint), or pass --target cloudwatch"
            )
        else:
            notes.append("Datadog skipped: DD_API_KEY/DD_APP_KEY are not set and the file has no Datadog monitor")
    if "cloudwatch" in targets:
        from monitors.sync.cloudwatch import CloudWatchAlarms

        try:
            alarms = CloudWatchAlarms(
                state.service,
                state.alarm_name_prefix or default_alarm_prefix(state.service),
                region=state.region,
                pool_size=workers,
            )
        except Exception as exc:
            if type(exc).__name__ == "NoRegionError":
                raise SyncError(
                    "CloudWatch needs a region: set cloudwatch.region in the file, or AWS_REGION / AWS_DEFAULT_REGION"
                ) from None
            raise SyncError(f"CloudWatch: {redact(f'{type(exc).__name__}: {exc}')}") from None
        backends.append(alarms)
        if getattr(state, "cloudwatch_dashboards", ()) or prune:
            from monitors.sync.dashboards import CloudWatchDashboards

            backends.append(CloudWatchDashboards(alarms))
    return backends, notes
