"""models.*: register, read, edit, publish (set_ready) and delete models; metadata.

`models.get_all` lives with the query engine (services/queries.py). The SDK registers output
models with `models.create` and links them with `tasks.add_or_update_model` (API ≥ 2.13) or
`models.update_for_task` (older clients), which this module also serves.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from taskyard import errors
from taskyard.domain import clock
from taskyard.domain.identity import Identity
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from taskyard.http.validation import RequestModel
from taskyard.store import models as store
from taskyard.store.db import Tx
from taskyard.store.entities import MODELS, PROJECTS, TASKS

OUTPUT_NAME = "output"  # the entry name legacy clients' single output model gets


class MetadataItem(RequestModel):
    key: str
    type: str | None = None
    value: str | None = None


class ModelFields(RequestModel):
    name: str | None = None
    comment: str | None = None
    tags: list[str] | None = None
    system_tags: list[str] | None = None
    framework: str | None = None
    design: dict[str, Any] | None = None
    labels: dict[str, int] | None = None
    parent: str | None = None
    project: str | None = None
    task: str | None = None
    uri: str | None = None
    ready: bool | None = None
    metadata: list[MetadataItem] | None = None


class CreateRequest(ModelFields):
    name: str
    uri: str
    public: bool = False


class ModelRequest(RequestModel):
    model: str


class EditRequest(ModelFields, ModelRequest):
    iteration: int | None = None


class UpdateRequest(ModelRequest):
    name: str | None = None
    comment: str | None = None
    tags: list[str] | None = None
    system_tags: list[str] | None = None
    ready: bool | None = None
    created: str | None = None
    ui_cache: dict[str, Any] | None = None
    project: str | None = None
    task: str | None = None
    iteration: int | None = None


class SetReadyRequest(ModelRequest):
    publish_task: bool | None = None
    force_publish_task: bool | None = None


class DeleteRequest(ModelRequest):
    force: bool = False


class UpdateForTaskRequest(RequestModel):
    task: str
    uri: str | None = None
    name: str | None = None
    comment: str | None = None
    tags: list[str] | None = None
    system_tags: list[str] | None = None
    override_model_id: str | None = None
    iteration: int | None = None


class MetadataRequest(ModelRequest):
    metadata: list[MetadataItem]
    replace_metadata: bool = False


class DeleteMetadataRequest(ModelRequest):
    keys: list[str]


class TaskRequest(RequestModel):
    task: str


class IdsRequest(RequestModel):
    ids: list[str] = Field(min_length=1)


# -- helpers -----------------------------------------------------------------------------
def _writable(tx: Tx, identity: Identity, model_id: str) -> tuple[dict[str, Any], int]:
    found = store.get(tx, model_id, identity.readable_companies)
    if found is None:
        raise errors.invalid_model_id(id=model_id)
    if found[0]["company"] != identity.company:
        raise errors.public_write([model_id], kind="model")
    return found


def _check_references(tx: Tx, identity: Identity, fields: dict[str, Any]) -> None:
    companies = identity.readable_companies
    if fields.get("project") and not PROJECTS.get(tx, [fields["project"]], companies):
        raise errors.invalid_project_id(id=fields["project"])
    if fields.get("task") and not TASKS.get(tx, [fields["task"]], companies):
        raise errors.invalid_task_id(id=fields["task"])
    if fields.get("parent") and not MODELS.get(tx, [fields["parent"]], companies):
        raise errors.invalid_model_id("invalid parent", parent=fields["parent"])


def _fields(req: RequestModel, names: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(req, name, None)
        if value is None:
            continue
        if name in ("tags", "system_tags"):
            value = sorted(set(value))
        elif name == "metadata":
            value = store.metadata_items([m.model_dump() for m in value])
        out[name] = value
    return out


_EDITABLE = (
    "name",
    "comment",
    "tags",
    "system_tags",
    "framework",
    "design",
    "labels",
    "parent",
    "project",
    "task",
    "uri",
    "ready",
    "metadata",
)


def _save(tx: Tx, doc: dict[str, Any], rev: int) -> None:
    if not MODELS.save(tx, doc, rev):
        raise errors.general(409, "model was changed concurrently, retry")


def _apply(
    call: Call, model_id: str, fields: dict[str, Any], iteration: int | None
) -> dict[str, Any]:
    identity = call.identity
    with call.app.db.write() as tx:
        doc, rev = _writable(tx, identity, model_id)
        _check_references(tx, identity, fields)
        if doc.get("ready") and "uri" in fields and fields["uri"] != doc.get("uri"):
            raise errors.model_is_ready(
                "cannot change the uri of a published model", model=model_id
            )
        changed = {k: v for k, v in fields.items() if doc.get(k) != v}
        if changed:
            changed["last_update"] = clock.now()
            doc.update(changed)
            _save(tx, doc, rev)
        task = doc.get("task")
        if iteration is not None and task:
            store.bump_task_iteration(tx, task, identity.company, iteration)
    return {"updated": 1 if changed else 0, "fields": changed}


# -- endpoints ---------------------------------------------------------------------------
@endpoint("models.create", request=CreateRequest)
def create(call: Call) -> dict[str, Any]:
    """Register a model (uri and name required); `public` creates it for every company."""
    req = call.req(CreateRequest)
    identity = call.identity
    fields = _fields(req, _EDITABLE)
    with call.app.db.write() as tx:
        _check_references(tx, identity, fields)
        company = "" if req.public else identity.company
        doc = store.new_document(company, identity.user, fields)
        MODELS.insert(tx, doc)
    return {"id": doc["id"], "created": True}


@endpoint("models.get_by_id", request=ModelRequest)
def get_by_id(call: Call) -> dict[str, Any]:
    """One model."""
    req = call.req(ModelRequest)
    with call.app.db.read() as tx:
        found = store.get(tx, req.model, call.identity.readable_companies)
    if found is None:
        raise errors.invalid_model_id(id=req.model)
    return {"model": store.for_version(found[0], call.version)}


@endpoint("models.get_by_task_id", request=TaskRequest)
def get_by_task_id(call: Call) -> dict[str, Any]:
    """The (last) output model of a task."""
    req = call.req(TaskRequest)
    companies = call.identity.readable_companies
    with call.app.db.read() as tx:
        task = TASKS.get(tx, [req.task], companies).get(req.task)
        if task is None:
            raise errors.invalid_task_id(id=req.task)
        outputs = (task[0].get("models") or {}).get("output") or []
        model_id = outputs[-1].get("model") if outputs else None
        found = store.get(tx, model_id, companies) if model_id else None
    if found is None:
        raise errors.invalid_model_id("no output model", task=req.task)
    return {"model": store.for_version(found[0], call.version)}


@endpoint("models.edit", request=EditRequest)
def edit(call: Call) -> dict[str, Any]:
    """Change a model's fields (the uri of a published model is fixed)."""
    req = call.req(EditRequest)
    return _apply(call, req.model, _fields(req, _EDITABLE), req.iteration)


@endpoint("models.update", request=UpdateRequest)
def update(call: Call) -> dict[str, Any]:
    """Change a model's name, comment, tags, project, task, ready flag or UI cache."""
    req = call.req(UpdateRequest)
    names = ("name", "comment", "tags", "system_tags", "ready", "created", "ui_cache")
    fields = _fields(req, (*names, "project", "task"))
    return _apply(call, req.model, fields, req.iteration)


@endpoint("models.set_ready", request=SetReadyRequest)
def set_ready(call: Call) -> dict[str, Any]:
    """Publish a model (ready = true); 400/203 if it already is."""
    req = call.req(SetReadyRequest)
    with call.app.db.write() as tx:
        doc, rev = _writable(tx, call.identity, req.model)
        if doc.get("ready"):
            raise errors.model_is_ready(model=req.model)
        doc["ready"] = True
        doc["last_update"] = clock.now()
        _save(tx, doc, rev)
    return {"updated": 1}


@endpoint("models.delete", request=DeleteRequest)
def delete(call: Call) -> dict[str, Any]:
    """Delete a model; a published one only with `force`. Returns the file URL to clean up."""
    req = call.req(DeleteRequest)
    identity = call.identity
    with call.app.db.write() as tx:
        doc, _ = _writable(tx, identity, req.model)
        if doc.get("ready") and not req.force:
            raise errors.model_is_ready(
                "use force=true to delete a published model", model=req.model
            )
        if doc.get("task"):
            store.unlink_output(tx, doc["task"], identity.company, req.model)
        MODELS.delete(tx, [req.model])
    return {"deleted": True, "url": doc.get("uri")}


@endpoint("models.update_for_task", request=UpdateForTaskRequest)
def update_for_task(call: Call) -> dict[str, Any]:
    """Set a task's output model: an existing one (override_model_id) or a new one from uri."""
    req = call.req(UpdateForTaskRequest)
    identity = call.identity
    if bool(req.uri) == bool(req.override_model_id):
        raise errors.missing_required_fields(
            "exactly one of uri or override_model_id is required", field="uri"
        )
    with call.app.db.write() as tx:
        task = TASKS.get(tx, [req.task], (identity.company,)).get(req.task)
        if task is None:
            raise errors.invalid_task_id(id=req.task)
        task_doc = task[0]
        if req.override_model_id:
            if store.get(tx, req.override_model_id, identity.readable_companies) is None:
                raise errors.invalid_model_id(id=req.override_model_id)
            model_id, created = req.override_model_id, False
        else:
            fields = _fields(req, ("name", "comment", "tags", "system_tags", "uri"))
            fields.setdefault("name", task_doc.get("name"))
            fields["task"] = req.task
            if task_doc.get("project"):
                fields["project"] = task_doc["project"]
            doc = store.new_document(identity.company, identity.user, fields)
            MODELS.insert(tx, doc)
            model_id, created = doc["id"], True
        store.link_output(tx, req.task, identity.company, model_id, OUTPUT_NAME, req.iteration)
    return {"id": model_id, "created": created, "updated": 0 if created else 1, "fields": {}}


@endpoint("models.add_or_update_metadata", min_version="2.13", request=MetadataRequest)
def add_or_update_metadata(call: Call) -> dict[str, Any]:
    """Add or replace metadata items (by key); `replace_metadata` drops the others."""
    req = call.req(MetadataRequest)
    items = store.metadata_items([m.model_dump() for m in req.metadata])
    with call.app.db.write() as tx:
        doc, rev = _writable(tx, call.identity, req.model)
        metadata = {} if req.replace_metadata else dict(doc.get("metadata") or {})
        metadata.update(items)
        doc["metadata"] = metadata
        doc["last_update"] = clock.now()
        _save(tx, doc, rev)
    return {"updated": 1}


@endpoint("models.delete_metadata", min_version="2.13", request=DeleteMetadataRequest)
def delete_metadata(call: Call) -> dict[str, Any]:
    """Remove metadata items by key."""
    req = call.req(DeleteMetadataRequest)
    with call.app.db.write() as tx:
        doc, rev = _writable(tx, call.identity, req.model)
        metadata = dict(doc.get("metadata") or {})
        removed = [k for k in req.keys if metadata.pop(k, None) is not None]
        if not removed:
            return {"updated": 0}
        doc["metadata"] = metadata
        doc["last_update"] = clock.now()
        _save(tx, doc, rev)
    return {"updated": 1}


def _tag_many(call: Call, ids: list[str], archive: bool) -> dict[str, Any]:
    succeeded, failed = [], []
    with call.app.db.write() as tx:
        for model_id in ids:
            try:
                doc, rev = _writable(tx, call.identity, model_id)
            except errors.ApiError as exc:
                failed.append(
                    {
                        "id": model_id,
                        "error": {"codes": [exc.code, exc.subcode], "msg": exc.message},
                    }
                )
                continue
            tags = set(doc.get("system_tags") or [])
            before = set(tags)
            (tags.add if archive else tags.discard)("archived")
            if tags != before:
                doc["system_tags"] = sorted(tags)
                doc["last_update"] = clock.now()
                _save(tx, doc, rev)
            key = "archived" if archive else "unarchived"
            succeeded.append({"id": model_id, key: tags != before})
    return {"succeeded": succeeded, "failed": failed}


@endpoint("models.archive_many", min_version="2.13", request=IdsRequest)
def archive_many(call: Call) -> dict[str, Any]:
    """Add the `archived` system tag to models."""
    return _tag_many(call, call.req(IdsRequest).ids, True)


@endpoint("models.unarchive_many", min_version="2.13", request=IdsRequest)
def unarchive_many(call: Call) -> dict[str, Any]:
    """Remove the `archived` system tag from models."""
    return _tag_many(call, call.req(IdsRequest).ids, False)
