"""tasks.reset, tasks.delete (with the cleanup of §4.3), archive and unarchive."""

from __future__ import annotations

from typing import Any

from taskyard import errors
from taskyard.domain import cleanup, clock, states
from taskyard.domain.identity import Identity
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from taskyard.http.validation import RequestModel
from taskyard.services.tasks_common import (
    StatusRequest,
    echo,
    stamp,
    status_fields,
    write_status,
)
from taskyard.store import tasks as store
from taskyard.store.db import Tx
from taskyard.store.entities import TASKS

ARCHIVED = "archived"


class ResetRequest(StatusRequest):
    clear_all: bool | None = False
    delete_output_models: bool | None = True
    delete_external_artifacts: bool | None = True
    return_file_urls: bool | None = False


class DeleteRequest(StatusRequest):
    move_to_trash: bool | None = False
    delete_output_models: bool | None = True
    delete_external_artifacts: bool | None = True
    return_file_urls: bool | None = False


class ArchiveRequest(RequestModel):
    tasks: list[str]
    status_reason: str | None = ""
    status_message: str | None = ""


class ManyRequest(RequestModel):
    ids: list[str]
    status_reason: str | None = ""
    status_message: str | None = ""


def _output_model(doc: dict[str, Any]) -> str | None:
    outputs = (doc.get("models") or {}).get("output") or []
    model = outputs[-1].get("model") if outputs else None
    return str(model) if model else None


def _cleanup(
    tx: Tx, doc: dict[str, Any], force: bool, delete_models: bool, now: str, urls: bool
) -> tuple[cleanup.Plan, int, int, list[str]]:
    """Decide and apply the model/event cleanup; returns (plan, deleted, detached, event urls)."""
    task_id = doc["id"]
    out_id = _output_model(doc)
    facts = store.task_models(tx, task_id, [out_id] if out_id else [])
    own = [f for f in facts if f[0] != out_id]
    out_fact = next((f for f in facts if f[0] == out_id), None)
    plan = cleanup.plan(task_id, store.children(tx, [task_id]), own, out_fact, force)
    deleted = store.delete_models(tx, plan.delete_models) if delete_models else 0
    detached = store.detach_models(tx, plan.detach_models, task_id, now)
    event_urls = store.event_urls(tx, [task_id]) if urls else []
    store.delete_events(tx, [task_id])
    return plan, deleted, detached, event_urls


def _artifact_urls(artifacts: list[dict[str, Any]]) -> list[str]:
    return [str(a["uri"]) for a in artifacts if a.get("uri")]


@endpoint("tasks.reset", request=ResetRequest)
def reset(call: Call) -> dict[str, Any]:
    """Back to `created`: results, output models and events are cleared."""
    req = call.req(ResetRequest)
    identity = call.identity
    force = bool(req.force)
    now = clock.now()
    with call.app.db.write() as tx:
        doc, _ = store.get_writable(tx, [req.task], identity)[req.task]
        current = doc.get("status", states.CREATED)
        if current == states.PUBLISHED and not force:
            raise errors.invalid_task_status(task_id=req.task, status=current)
        states.check(current, states.CREATED, force)
        plan, deleted, _, event_urls = _cleanup(
            tx, doc, force, req.delete_output_models is not False, now, bool(req.return_file_urls)
        )
        sets = status_fields(identity, now, states.CREATED, "reset", "reset")
        execution = dict(doc.get("execution") or {})
        artifacts = execution.get("artifacts") or []
        kept = [a for a in artifacts if a.get("mode", "output") == "input"]
        removed = [a for a in artifacts if a.get("mode", "output") != "input"]
        execution["artifacts"] = kept
        output = {
            k: v for k, v in (doc.get("output") or {}).items() if k not in ("result", "model")
        }
        models = {**(doc.get("models") or {"input": []}), "output": []}
        unset: tuple[str, ...] = ("started", "completed", "published")
        if call.modern:
            output.pop("error", None)
            execution.pop("queue", None)
            sets["runtime"] = {}
            unset += ("last_worker", "last_worker_report", "active_duration")
        if req.clear_all:
            execution = {"test_split": 0, "model_desc": {}, "model_labels": {}, "artifacts": kept}
            unset += ("script",)
        sets.update(
            last_iteration=0,
            last_metrics={},
            output=output,
            execution=execution,
            models=models,
        )
        write_status(tx, req.task, current, sets, unset)
    fields = echo(sets, unset)
    fields.update({"output.result": None, "output.model": None})
    if not call.modern:
        return {"updated": 1, "fields": fields, "deleted_indices": [], "frames": {}, "events": {}}
    urls = None
    if req.return_file_urls:
        urls = {
            "model_urls": plan.model_urls,
            "event_urls": event_urls,
            "artifact_urls": _artifact_urls(removed),
        }
    return {
        "updated": 1,
        "fields": fields,
        "dequeued": {},
        "events": {},
        "deleted_models": deleted,
        "urls": urls,
    }


@endpoint("tasks.delete", request=DeleteRequest)
def delete(call: Call) -> dict[str, Any]:
    """Delete a task (status created unless forced), detaching or deleting what refers to it."""
    req = call.req(DeleteRequest)
    identity = call.identity
    force = bool(req.force)
    now = clock.now()
    with call.app.db.write() as tx:
        doc, _ = store.get_writable(tx, [req.task], identity)[req.task]
        status = doc.get("status", states.CREATED)
        archived = ARCHIVED in (doc.get("system_tags") or [])
        if status != states.CREATED and not force and not (call.modern and archived):
            raise errors.task_cannot_be_deleted(
                "due to status, use force=True",
                task=req.task,
                expected=states.CREATED,
                current=status,
            )
        plan, deleted, detached, event_urls = _cleanup(
            tx, doc, force, req.delete_output_models is not False, now, bool(req.return_file_urls)
        )
        children = store.reparent_children(tx, req.task, now)
        if req.move_to_trash:
            store.move_to_trash(tx, doc, now)
        if TASKS.delete(tx, [req.task]) == 0:
            # a concurrent delete won after our read (PostgreSQL, READ COMMITTED): roll back
            raise errors.invalid_task_id(id=req.task, company=identity.company)
        store.touch_project(tx, doc.get("project"), now)
    reply: dict[str, Any] = {
        "deleted": True,
        "updated_children": children,
        "updated_models": detached,
        "deleted_models": deleted,
    }
    if call.modern:
        reply["events"] = {}
        reply["urls"] = None
        if req.return_file_urls:
            artifacts = (doc.get("execution") or {}).get("artifacts") or []
            reply["urls"] = {
                "model_urls": plan.model_urls,
                "event_urls": event_urls,
                "artifact_urls": _artifact_urls(artifacts),
            }
    return reply


# -- archive / unarchive ---------------------------------------------------------------------
def _set_archived(tx: Tx, identity: Identity, task_id: str, archived: bool, now: str) -> bool:
    """Add or remove the `archived` system tag; True if the task changed."""
    doc, _ = store.get_writable(tx, [task_id], identity, style="ids")[task_id]
    tags = set(doc.get("system_tags") or [])
    if (ARCHIVED in tags) == archived:
        return False
    tags = tags | {ARCHIVED} if archived else tags - {ARCHIVED}
    store.update_fields(tx, task_id, {"system_tags": sorted(tags), **stamp(identity, now)})
    return True


@endpoint("tasks.archive", request=ArchiveRequest)
def archive(call: Call) -> dict[str, Any]:
    """Add the `archived` system tag to tasks."""
    req = call.req(ArchiveRequest)
    now = clock.now()
    with call.app.db.write() as tx:
        store.get_writable(tx, req.tasks, call.identity, style="ids")
        count = sum(
            _set_archived(tx, call.identity, t, True, now) for t in dict.fromkeys(req.tasks)
        )
    return {"archived": count}


@endpoint("tasks.unarchive", request=ArchiveRequest)
def unarchive(call: Call) -> dict[str, Any]:
    """Remove the `archived` system tag from tasks."""
    req = call.req(ArchiveRequest)
    now = clock.now()
    with call.app.db.write() as tx:
        store.get_writable(tx, req.tasks, call.identity, style="ids")
        count = sum(
            _set_archived(tx, call.identity, t, False, now) for t in dict.fromkeys(req.tasks)
        )
    return {"unarchived": count}


def _many(call: Call, archived: bool) -> dict[str, Any]:
    req = call.req(ManyRequest)
    key = "archived" if archived else "unarchived"
    succeeded: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for task_id in dict.fromkeys(req.ids):
        try:
            with call.app.db.write() as tx:
                changed = _set_archived(tx, call.identity, task_id, archived, clock.now())
            succeeded.append({"id": task_id, key: changed})
        except errors.ApiError as exc:
            failed.append(
                {
                    "id": task_id,
                    "error": {
                        "codes": [exc.code, exc.subcode],
                        "msg": exc.message,
                        "data": exc.data,
                    },
                }
            )
    return {"succeeded": succeeded, "failed": failed}


@endpoint("tasks.archive_many", request=ManyRequest)
def archive_many(call: Call) -> dict[str, Any]:
    """Archive tasks one by one; reports which succeeded and which failed."""
    return _many(call, True)


@endpoint("tasks.unarchive_many", request=ManyRequest)
def unarchive_many(call: Call) -> dict[str, Any]:
    """Unarchive tasks one by one; reports which succeeded and which failed."""
    return _many(call, False)
