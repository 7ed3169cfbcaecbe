"""tasks.* status endpoints (SEMANTICS §4.2): started, stop, stopped, failed, close, completed,
publish. Each change is one conditional UPDATE; reset is in tasks_delete.py with the cleanup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from taskyard import errors
from taskyard.domain import clock, states
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from taskyard.services.tasks_common import (
    StatusRequest,
    change_status,
    echo,
    status_fields,
    write_status,
)
from taskyard.store import tasks as store
from taskyard.store.db import Tx

# A task whose worker has not reported for this long has no live worker (HEAD's
# apiserver.workers.task_update_timeout).
WORKER_TIMEOUT = timedelta(seconds=600)
DEVELOPMENT = "development"


class CompletedRequest(StatusRequest):
    publish: bool | None = False


class PublishRequest(StatusRequest):
    publish_model: bool | None = None


def _stamps(call: Call, rule: states.StatusRule, now: str) -> dict[str, Any]:
    names = rule.stamps_modern if call.modern else rule.stamps
    return {name: now for name in names}


@endpoint("tasks.started", request=StatusRequest)
def started(call: Call) -> dict[str, Any]:
    """Mark a task in_progress."""
    req = call.req(StatusRequest)
    rule = states.RULES["started"]

    def extra(doc: dict[str, Any], now: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        if not call.modern:
            return {"started": now}, ()
        if doc.get("status") == states.IN_PROGRESS and doc.get("started"):
            return {}, ()  # a restart keeps the earliest start (HEAD)
        return {"started": now}, ("completed", "active_duration")

    fields = change_status(call, req, rule.target, extra=extra)
    return {"started": 1, "updated": 1, "fields": fields}


def _simple(call: Call, name: str) -> dict[str, Any]:
    req = call.req(StatusRequest)
    rule = states.RULES[name]

    def extra(doc: dict[str, Any], now: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        return _stamps(call, rule, now), ()

    return {"updated": 1, "fields": change_status(call, req, rule.target, extra=extra)}


@endpoint("tasks.stopped", request=StatusRequest)
def stopped(call: Call) -> dict[str, Any]:
    """Mark a task stopped (it has stopped running)."""
    return _simple(call, "stopped")


@endpoint("tasks.failed", request=StatusRequest)
def failed(call: Call) -> dict[str, Any]:
    """Mark a task failed."""
    return _simple(call, "failed")


@endpoint("tasks.close", request=StatusRequest)
def close(call: Call) -> dict[str, Any]:
    """Mark a stopped task closed."""
    return _simple(call, "close")


def _has_live_worker(doc: dict[str, Any]) -> bool:
    if not doc.get("last_worker"):
        return False
    try:
        last = datetime.fromisoformat(str(doc.get("last_update")))
    except ValueError:
        return False
    return datetime.now(UTC) - last < WORKER_TIMEOUT


def _stops_now(call: Call, doc: dict[str, Any], force: bool) -> bool:
    """Whether `stop` moves the task to stopped at once or only asks it to stop (§4.2, §7.2)."""
    development = DEVELOPMENT in (doc.get("system_tags") or [])
    if not call.modern:
        return development
    return force or development or doc.get("status") == states.QUEUED or not _has_live_worker(doc)


@endpoint("tasks.stop", request=StatusRequest)
def stop(call: Call) -> dict[str, Any]:
    """Stop a task: at once, or by asking its runner (status_message "stopping")."""
    req = call.req(StatusRequest)
    identity = call.identity
    now = clock.now()
    with call.app.db.write() as tx:
        doc, _ = store.get_writable(tx, [req.task], identity)[req.task]
        current = doc.get("status", states.CREATED)
        if _stops_now(call, doc, bool(req.force)):
            target, message = states.STOPPED, f"Stopped by {identity.user_name}"
        else:
            target, message = current, "stopping"
        states.check(current, target, bool(req.force))
        sets = status_fields(identity, now, target, req.status_reason, message)
        write_status(tx, req.task, current, sets)
    return {"updated": 1, "fields": echo(sets)}


def _publish(
    call: Call, tx: Tx, task_id: str, req: StatusRequest, publish_model: bool
) -> dict[str, Any]:
    """publishing → (output model ready) → published, inside the caller's transaction."""
    identity = call.identity
    now = clock.now()
    doc, _ = store.get_writable(tx, [task_id], identity)[task_id]
    current = doc.get("status", states.CREATED)
    states.check(current, states.PUBLISHED, bool(req.force), allow_same=False)
    sets = status_fields(identity, now, states.PUBLISHING, req.status_reason, req.status_message)
    write_status(tx, task_id, current, sets)
    if publish_model:
        outputs = (doc.get("models") or {}).get("output") or []
        if outputs and outputs[-1].get("model"):
            store.set_model_ready(tx, outputs[-1]["model"], [identity.company], now)
    sets = status_fields(identity, now, states.PUBLISHED, req.status_reason, req.status_message)
    sets["published"] = now
    sets["output"] = doc.get("output") or {}
    write_status(tx, task_id, states.PUBLISHING, sets)
    return sets


@endpoint("tasks.publish", request=PublishRequest)
def publish(call: Call) -> dict[str, Any]:
    """Publish a task (and, by default, its output model)."""
    req = call.req(PublishRequest)
    publish_model = req.publish_model is None or bool(req.publish_model)
    # One transaction: a failure in any step leaves the previous status in place.
    with call.app.db.write() as tx:
        sets = _publish(call, tx, req.task, req, publish_model)
    return {"updated": 1, "fields": echo(sets)}


@endpoint("tasks.completed", min_version="2.2", request=CompletedRequest)
def completed(call: Call) -> dict[str, Any]:
    """Mark a task completed; with `publish`, publish it too."""
    req = call.req(CompletedRequest)
    rule = states.RULES["completed"]

    def extra(doc: dict[str, Any], now: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        return _stamps(call, rule, now), ()

    fields = change_status(call, req, rule.target, extra=extra)
    reply: dict[str, Any] = {"updated": 1, "fields": fields}
    if req.publish:
        plain = StatusRequest(
            task=req.task, status_reason=req.status_reason, status_message=req.status_message
        )
        try:
            with call.app.db.write() as tx:
                published = _publish(call, tx, req.task, plain, True)
        except errors.ApiError:
            reply["published"] = 0
        else:
            fields.update(echo(published))
            reply["published"] = 1
    elif call.modern:
        reply["published"] = 0
    return reply
