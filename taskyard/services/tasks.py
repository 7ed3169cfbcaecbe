"""tasks.*: reading, creating and editing tasks (SEMANTICS §5.1, §5.3–§5.8).

Status endpoints are in tasks_status.py, delete/archive in tasks_delete.py, the modern
endpoints (clone, artifacts, hyperparams, configuration) in tasks_modern.py.
"""

from __future__ import annotations

from typing import Any

import orjson

from taskyard import errors
from taskyard.domain import clock, states, task_doc
from taskyard.http import envelope
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from taskyard.http.validation import RequestModel, parse
from taskyard.services.tasks_common import (
    Conflict,
    TaskRequest,
    TaskStatus,
    TaskType,
    check_name,
    check_references,
    retrying,
    stamp,
)
from taskyard.store import tasks as store
from taskyard.store.db import Tx
from taskyard.store.entities import TASKS
from taskyard.versions import MODERN

CREATE_FIELDS = (
    "name",
    "tags",
    "system_tags",
    "type",
    "comment",
    "parent",
    "project",
    "output_dest",
    "execution",
    "script",
    "hyperparams",
    "configuration",
    "container",
    "runtime",
    "models",
)
EDIT_FIELDS = (*CREATE_FIELDS, "status")
# Embedded objects that edit merges one level deep; every other field is replaced.
MERGED = ("execution", "script", "output")


class CreateRequest(RequestModel):
    name: str
    type: TaskType
    comment: str | None = None
    parent: str | None = None
    project: str | None = None
    output_dest: str | None = None
    tags: list[str] | None = None
    system_tags: list[str] | None = None


class EditRequest(TaskRequest):
    force: bool | None = False
    name: str | None = None
    type: TaskType | None = None
    status: TaskStatus | None = None
    comment: str | None = None
    parent: str | None = None
    project: str | None = None
    output_dest: str | None = None
    tags: list[str] | None = None
    system_tags: list[str] | None = None


class UpdateRequest(TaskRequest):
    name: str | None = None
    comment: str | None = None
    project: str | None = None
    output__error: str | None = None
    status_message: str | None = None
    tags: list[str] | None = None
    system_tags: list[str] | None = None


class SetRequirementsRequest(TaskRequest):
    requirements: dict[str, Any]


# -- get_by_id -------------------------------------------------------------------------------
@endpoint("tasks.get_by_id", request=TaskRequest)
def get_by_id(call: Call) -> dict[str, Any]:
    """A task of the caller's company (or a public one) by id."""
    req = call.req(TaskRequest)
    with call.app.db.read() as tx:
        text = store.get_readable_text(tx, req.task, call.identity)
    if text is None:
        if call.modern:
            raise errors.invalid_task_id(ids=[req.task])
        raise errors.invalid_task_id(id=req.task, company=call.identity.company)
    if task_doc.shown_as_stored(text, call.version):  # the common case, half the work
        return {"task": envelope.encoded(text)}
    return {"task": task_doc.for_version(orjson.loads(text), call.version)}


# -- create / validate -----------------------------------------------------------------------
def _create_fields(call: Call) -> dict[str, Any]:
    raw = {k: call.data[k] for k in CREATE_FIELDS if k in call.data}
    return task_doc.input_for_version(raw, call.version)


def _check_seed_script(fields: dict[str, Any], call: Call) -> None:
    """Seed-era tasks required script.repository and script.entry_point when given."""
    script = fields.get("script")
    if script is None or call.modern:
        return
    for key in ("repository", "entry_point"):
        if not script.get(key):
            raise errors.data_validation_error(**{f"script.{key}": "Field is required"})


@endpoint("tasks.create", request=CreateRequest)
def create(call: Call) -> dict[str, Any]:
    """Create a task in status `created`; returns its id."""
    call.req(CreateRequest)
    fields = _create_fields(call)
    check_name(fields.get("name"))
    _check_seed_script(fields, call)
    identity = call.identity
    task_id = clock.new_id()
    doc = task_doc.new_document(
        fields,
        task_id=task_id,
        company=identity.company,
        user=identity.user,
        now=clock.now(),
        version=call.version,
    )
    with call.app.db.write() as tx:
        check_references(tx, identity, fields)
        TASKS.insert(tx, doc)
    return {"id": task_id}


@endpoint("tasks.validate", request=CreateRequest)
def validate(call: Call) -> dict[str, Any]:
    """Check a task's fields as create would, without saving anything."""
    call.req(CreateRequest)
    fields = _create_fields(call)
    with call.app.db.read() as tx:
        check_references(tx, call.identity, fields)
    return {}


# -- edit ------------------------------------------------------------------------------------
@endpoint("tasks.edit", request=EditRequest)
def edit(call: Call) -> dict[str, Any]:
    """Change a task's fields; only in status `created` unless forced."""
    req = call.req(EditRequest)
    raw = {k: call.data[k] for k in EDIT_FIELDS if k in call.data}
    fields = task_doc.input_for_version(raw, call.version)
    if not fields and not raw:
        return {"updated": 0, "fields": {}}
    check_name(fields.get("name"))
    identity = call.identity

    def work(tx: Tx) -> dict[str, Any]:
        doc, rev = store.get_writable(tx, [req.task], identity, style="id")[req.task]
        status = doc.get("status", states.CREATED)
        if not req.force and status != states.CREATED:
            raise errors.invalid_task_status(expected=states.CREATED, status=status)
        check_references(tx, identity, fields, task_id=req.task)
        work_fields = dict(fields)
        written: dict[str, Any] = {}
        legacy: dict[str, Any] = {
            k: work_fields.pop(k) for k in task_doc.LEGACY_INPUT_KEYS if k in work_fields
        }
        for key, value in work_fields.items():
            if key in MERGED:
                value = {**(doc.get(key) or {}), **value}
            elif key == "models":
                value = {"input": [], "output": [], **value}
            doc[key] = value
            written[key] = value
        if legacy:
            task_doc.apply_legacy(doc, legacy)
            for key in ("hyperparams", "models"):
                if key in doc:
                    written.setdefault(key, doc[key])
        if "status" in work_fields and work_fields["status"] != status:
            doc["status_changed"] = written["status_changed"] = clock.now()
        now = clock.now()
        doc.update(stamp(identity, now))
        written["last_update"] = now
        if not store.save_if(tx, doc, rev, status):
            raise Conflict
        return written

    written = retrying(call, req.task, work)
    return {"updated": 1, "fields": task_doc.for_version(written, call.version)}


# -- update / update_batch -------------------------------------------------------------------
def _update_sets(req: UpdateRequest, call: Call) -> dict[str, Any]:
    """The fields an update request writes (update's own field names)."""
    raw = req.model_dump(exclude_unset=True, exclude={"task"})
    raw = {k: v for k, v in raw.items() if v is not None}
    if call.version < task_doc.TAGS_MERGED_BELOW:
        task_doc.conform_tags_input(raw)
    for key in ("tags", "system_tags"):
        if key in raw:
            raw[key] = task_doc.clean_tags(raw[key])
    if "name" in raw:
        raw["name"] = raw["name"].strip()
        check_name(raw["name"])
    return raw


def _apply_update(doc: dict[str, Any], sets: dict[str, Any], now: str, user: str) -> dict[str, Any]:
    written: dict[str, Any] = {}
    for key, value in sets.items():
        if key == "output__error":
            doc["output"] = {**(doc.get("output") or {}), "error": value}
            written["output.error"] = value
        else:
            doc[key] = value
            written[key] = value
    doc.update({"last_update": now, "last_change": now, "last_changed_by": user})
    written["last_update"] = now
    return written


@endpoint("tasks.update", request=UpdateRequest)
def update(call: Call) -> dict[str, Any]:
    """Change a task's runtime fields (name, tags, comment, project, output.error), any status."""
    req = call.req(UpdateRequest)
    sets = _update_sets(req, call)
    if not sets:
        return {"updated": 0, "fields": {}}
    identity = call.identity

    def work(tx: Tx) -> dict[str, Any]:
        doc, rev = store.get_writable(tx, [req.task], identity, style="id")[req.task]
        if "project" in sets:
            check_references(tx, identity, {"project": sets["project"]})
        written = _apply_update(doc, sets, clock.now(), identity.user)
        if not store.save_if(tx, doc, rev, doc.get("status", states.CREATED)):
            raise Conflict
        return written

    written = retrying(call, req.task, work)
    if call.version < task_doc.TAGS_MERGED_BELOW and "tags" in written:
        written["tags"] = sorted(set(written["tags"]) | set(written.get("system_tags") or []))
    return {"updated": 1, "fields": written}


@endpoint("tasks.update_batch", batch=True)
def update_batch(call: Call) -> dict[str, Any]:
    """Updates as json-lines: all validated first, then written in one transaction."""
    items: dict[str, dict[str, Any]] = {}
    for item in call.batch or []:
        req = parse(UpdateRequest, item)
        assert isinstance(req, UpdateRequest)
        items[req.task] = _update_sets(req, call)  # the last item of a task wins
    if not items:
        return {"updated": 0}
    identity = call.identity
    ids = list(items)

    def work(tx: Tx) -> int:
        found = store.get_writable(tx, ids, identity, style="ids")
        projects = {s["project"] for s in items.values() if "project" in s}
        for project in projects:
            check_references(tx, identity, {"project": project})
        now = clock.now()
        count = 0
        for task_id, sets in items.items():
            if not sets:
                continue
            doc, rev = found[task_id]
            _apply_update(doc, sets, now, identity.user)
            if not store.save_if(tx, doc, rev, doc.get("status", states.CREATED)):
                raise Conflict
            count += 1
        return count

    return {"updated": retrying(call, ids[0], work)}


# -- set_requirements / ping -----------------------------------------------------------------
@endpoint("tasks.set_requirements", request=SetRequirementsRequest)
def set_requirements(call: Call) -> dict[str, Any]:
    """Replace `script.requirements`; any status."""
    req = call.req(SetRequirementsRequest)
    identity = call.identity

    def work(tx: Tx) -> None:
        doc, rev = store.get_writable(tx, [req.task], identity)[req.task]
        script = doc.get("script")
        if script is None:
            if call.version < MODERN:
                raise errors.missing_task_fields("Task has no script field", task=req.task)
            script = dict(task_doc.MODERN_SCRIPT_DEFAULT)
        doc["script"] = {**script, "requirements": req.requirements}
        doc.update(stamp(identity, clock.now()))
        if not store.save_if(tx, doc, rev, doc.get("status", states.CREATED)):
            raise Conflict

    retrying(call, req.task, work)
    return {"updated": 1, "fields": {"script.requirements": req.requirements}}


@endpoint("tasks.ping", request=TaskRequest)
def ping(call: Call) -> dict[str, Any]:
    """Refresh `last_update` (liveness); never an error."""
    req = call.req(TaskRequest)
    with call.app.db.write() as tx:
        store.ping(tx, req.task, call.identity.company, clock.now())
    return {}
