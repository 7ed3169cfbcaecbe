"""Helpers shared by the tasks.* handlers: request models, lookups, status changes, retries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from taskyard import errors
from taskyard.domain import clock, states, task_doc
from taskyard.domain.identity import Identity
from taskyard.http.call import Call
from taskyard.http.validation import RequestModel
from taskyard.store import tasks as store
from taskyard.store.db import Tx

T = TypeVar("T")

TaskType = Literal[
    "training",
    "testing",
    "inference",
    "data_processing",
    "application",
    "monitor",
    "controller",
    "optimizer",
    "service",
    "qc",
    "custom",
    "report",
]
TaskStatus = Literal[
    "created",
    "queued",
    "in_progress",
    "stopped",
    "published",
    "publishing",
    "closed",
    "failed",
    "completed",
    "unknown",
]


class TaskRequest(RequestModel):
    task: str


class StatusRequest(TaskRequest):
    force: bool | None = False
    status_reason: str | None = ""
    status_message: str | None = ""


class Conflict(Exception):
    """Someone wrote the task between our read and our write: retry from a fresh read."""


def retrying(call: Call, task_id: str, work: Callable[[Tx], T], attempts: int = 5) -> T:
    """Run `work` in a write transaction, again from scratch if it raises `Conflict`."""
    for _ in range(attempts):
        try:
            with call.app.db.write() as tx:
                return work(tx)
        except Conflict:
            continue
    raise errors.failed_changing_task_status(task_id=task_id)


def stamp(identity: Identity, now: str) -> dict[str, Any]:
    """The fields every write of a task sets."""
    return {"last_update": now, "last_change": now, "last_changed_by": identity.user}


def check_references(
    tx: Tx, identity: Identity, fields: dict[str, Any], *, task_id: str | None = None
) -> None:
    """parent, project (§7.3) and model references of create/edit/validate fields."""
    parent = fields.get("parent")
    deleted_parent = str(parent).startswith("__DELETED__")
    if (
        parent
        and not deleted_parent
        and (parent == task_id or not store.tasks_exist(tx, [parent], identity.readable_companies))
    ):
        raise errors.invalid_task_id("invalid parent", parent=parent)
    project = fields.get("project")
    if project and not store.project_in_company(tx, project, identity.company):
        raise errors.invalid_project_id(id=project)
    legacy_model = fields.get("_legacy_input_model")
    if legacy_model and not store.models_exist(tx, [legacy_model], identity.readable_companies):
        raise errors.invalid_model_id(model=legacy_model)
    models = fields.get("models")
    if models:
        ids = list(dict.fromkeys(m["model"] for kind in ("input", "output") for m in models[kind]))
        ids = [i for i in ids if i]
        missing = [
            i for i in ids if i not in store.models_exist(tx, ids, identity.readable_companies)
        ]
        if missing:
            raise errors.invalid_model_id(models=missing)


def check_name(name: Any) -> None:
    """Save-time rule: a name shorter than 3 characters (after strip) → 400/800."""
    if isinstance(name, str) and len(name.strip()) < 3:
        raise errors.data_validation_error(name="String value is too short")


def status_fields(
    identity: Identity, now: str, target: str, reason: str | None, message: str | None
) -> dict[str, Any]:
    return {
        "status": target,
        "status_reason": reason or "",
        "status_message": message or "",
        "status_changed": now,
        **stamp(identity, now),
    }


def write_status(
    tx: Tx,
    task_id: str,
    current: str,
    sets: dict[str, Any],
    unset: tuple[str, ...] = (),
) -> None:
    """The conditional UPDATE of a status change: a lost race is 400/121."""
    project = store.update_fields(tx, task_id, sets, unset, expect_status=current)
    if project is None:
        raise errors.failed_changing_task_status(
            task_id=task_id, current_status=current, new_status=sets.get("status", current)
        )
    store.touch_project(tx, project, sets.get("last_update") or clock.now())


def echo(sets: dict[str, Any], unset: tuple[str, ...] = ()) -> dict[str, Any]:
    """The `fields` of a reply: what was written, unset keys as null."""
    out = dict(sets)
    out.update({key: None for key in unset})
    return out


def change_status(
    call: Call,
    req: StatusRequest,
    target: str,
    *,
    extra: Callable[[dict[str, Any], str], tuple[dict[str, Any], tuple[str, ...]]] | None = None,
    message: str | None = None,
    allow_same: bool = True,
) -> dict[str, Any]:
    """Check and apply one status change; returns the reply's `fields`.

    `extra(doc, now)` adds endpoint-specific (sets, unset) after the transition check; `doc`
    holds the task's column fields only (status, started, …: all a transition reads).
    """
    identity = call.identity
    now = clock.now()
    with call.app.db.write() as tx:
        doc, _ = store.get_writable(tx, [req.task], identity, with_doc=False)[req.task]
        current = doc.get("status", states.CREATED)
        states.check(current, target, bool(req.force), allow_same)
        sets = status_fields(
            identity,
            now,
            target,
            req.status_reason,
            message if message is not None else req.status_message,
        )
        unset: tuple[str, ...] = ()
        if extra is not None:
            more, unset = extra(doc, now)
            sets.update(more)
        write_status(tx, req.task, current, sets, unset)
    return echo(sets, unset)


def reply_doc(doc: dict[str, Any], call: Call) -> dict[str, Any]:
    return task_doc.for_version(doc, call.version)
