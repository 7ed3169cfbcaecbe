"""The modern tasks.* endpoints the SDK uses (API 2.9+): clone, artifacts, task models,
hyperparameters and configuration. Registered at every version: they only add (§7.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from taskyard import errors
from taskyard.domain import clock, states, task_doc
from taskyard.domain.identity import Identity
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from taskyard.http.validation import RequestModel
from taskyard.services.tasks_common import (
    Conflict,
    TaskRequest,
    check_references,
    retrying,
    stamp,
)
from taskyard.store import tasks as store
from taskyard.store.db import Tx
from taskyard.store.entities import TASKS

# Without force these endpoints need status created; force also allows in_progress.
FORCE_STATUSES = (states.CREATED, states.IN_PROGRESS)


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Artifact(_Item):
    key: str
    type: str
    mode: Literal["input", "output"] = "output"
    uri: str | None = None
    content_size: int | None = None
    hash: str | None = None
    timestamp: int | None = None
    type_data: dict[str, Any] | None = None
    display_data: list[list[Any]] | None = None


class ArtifactId(_Item):
    key: str
    mode: Literal["input", "output"] = "output"


class ParamsItem(_Item):
    section: str
    name: str
    value: str | None = None
    type: str | None = None
    description: str | None = None


class ParamKey(_Item):
    section: str
    name: str | None = None


class ConfigurationItem(_Item):
    name: str
    value: str | None = None
    type: str | None = None
    description: str | None = None


class ArtifactsRequest(TaskRequest):
    artifacts: list[Artifact]
    force: bool | None = False


class DeleteArtifactsRequest(TaskRequest):
    artifacts: list[ArtifactId]
    force: bool | None = False


class EditHyperParamsRequest(TaskRequest):
    hyperparams: list[ParamsItem]
    replace_hyperparams: Literal["none", "section", "all"] | None = "none"
    force: bool | None = False


class DeleteHyperParamsRequest(TaskRequest):
    hyperparams: list[ParamKey]
    force: bool | None = False


class EditConfigurationRequest(TaskRequest):
    configuration: list[ConfigurationItem]
    replace_configuration: bool | None = False
    force: bool | None = False


class DeleteConfigurationRequest(TaskRequest):
    configuration: list[str]
    force: bool | None = False


class TasksRequest(RequestModel):
    tasks: list[str]


class GetConfigurationsRequest(TasksRequest):
    names: list[str] | None = None


class GetConfigurationNamesRequest(TasksRequest):
    skip_empty: bool | None = True


class AddOrUpdateModelRequest(TaskRequest):
    name: str
    model: str
    type: Literal["input", "output"]
    iteration: int | None = None


class ModelRef(_Item):
    name: str
    type: Literal["input", "output"]


class DeleteModelsRequest(TaskRequest):
    models: list[ModelRef]


class CloneRequest(TaskRequest):
    new_task_name: str | None = None
    new_task_comment: str | None = None
    new_task_tags: list[str] | None = None
    new_task_system_tags: list[str] | None = None
    new_task_parent: str | None = None
    new_task_project: str | None = None
    new_project_name: str | None = None
    new_task_hyperparams: dict[str, Any] | None = None
    new_task_configuration: dict[str, Any] | None = None
    new_task_container: dict[str, Any] | None = None
    new_task_input_models: list[dict[str, Any]] | None = None
    execution_overrides: dict[str, Any] | None = None
    validate_references: bool | None = False


def _clean(item: BaseModel) -> dict[str, Any]:
    return {k: v for k, v in item.model_dump().items() if v is not None}


def _modify(
    call: Call,
    task_id: str,
    force: bool | None,
    change: Callable[[dict[str, Any]], int],
    *,
    any_status: bool = False,
) -> int:
    """Read-check-change-save one task; `change` edits the document and returns a count."""
    identity = call.identity

    def work(tx: Tx) -> int:
        doc, rev = store.get_writable(tx, [task_id], identity)[task_id]
        status = doc.get("status", states.CREATED)
        if not any_status:
            if not force and status != states.CREATED:
                raise errors.invalid_task_status(expected=states.CREATED, status=status)
            if force and status not in FORCE_STATUSES:
                raise errors.invalid_task_status(expected=FORCE_STATUSES, status=status)
        count = change(doc)
        doc.update(stamp(identity, clock.now()))
        if not store.save_if(tx, doc, rev, status):
            raise Conflict
        return count

    return retrying(call, task_id, work)


# -- artifacts -------------------------------------------------------------------------------
@endpoint("tasks.add_or_update_artifacts", request=ArtifactsRequest)
def add_or_update_artifacts(call: Call) -> dict[str, Any]:
    """Add artifacts to a task, replacing those with the same key and mode."""
    req = call.req(ArtifactsRequest)
    given = [_clean(a) for a in req.artifacts]

    def change(doc: dict[str, Any]) -> int:
        execution = dict(doc.get("execution") or {})
        current = list(execution.get("artifacts") or [])
        index = {(a.get("key"), a.get("mode", "output")): i for i, a in enumerate(current)}
        for art in given:
            pos = index.get((art["key"], art["mode"]))
            if pos is None:
                index[(art["key"], art["mode"])] = len(current)
                current.append(art)
            else:
                current[pos] = art
        execution["artifacts"] = current
        doc["execution"] = execution
        return len(given)

    return {"updated": _modify(call, req.task, req.force, change)}


@endpoint("tasks.delete_artifacts", request=DeleteArtifactsRequest)
def delete_artifacts(call: Call) -> dict[str, Any]:
    """Remove artifacts (by key and mode) from a task."""
    req = call.req(DeleteArtifactsRequest)
    keys = {(a.key, a.mode) for a in req.artifacts}

    def change(doc: dict[str, Any]) -> int:
        execution = dict(doc.get("execution") or {})
        current = execution.get("artifacts") or []
        kept = [a for a in current if (a.get("key"), a.get("mode", "output")) not in keys]
        execution["artifacts"] = kept
        doc["execution"] = execution
        return len(current) - len(kept)

    return {"deleted": _modify(call, req.task, req.force, change)}


# -- task models -----------------------------------------------------------------------------
@endpoint("tasks.add_or_update_model", request=AddOrUpdateModelRequest)
def add_or_update_model(call: Call) -> dict[str, Any]:
    """Set a named input or output model of a task (any status)."""
    req = call.req(AddOrUpdateModelRequest)
    with call.app.db.read() as tx:
        if not store.models_exist(tx, [req.model], call.identity.readable_companies):
            raise errors.invalid_model_id(models=[req.model])

    def change(doc: dict[str, Any]) -> int:
        models = {"input": [], "output": [], **(doc.get("models") or {})}
        items = [m for m in models[req.type] if m.get("name") != req.name]
        items.append({"name": req.name, "model": req.model})
        models[req.type] = items
        doc["models"] = models
        if req.iteration is not None:
            doc["last_iteration"] = max(int(doc.get("last_iteration") or 0), req.iteration)
        return 1

    return {"updated": _modify(call, req.task, True, change, any_status=True)}


@endpoint("tasks.delete_models", request=DeleteModelsRequest)
def delete_models(call: Call) -> dict[str, Any]:
    """Remove named input/output models from a task (the models themselves stay)."""
    req = call.req(DeleteModelsRequest)
    drop = {(m.type, m.name) for m in req.models}

    def change(doc: dict[str, Any]) -> int:
        models = {"input": [], "output": [], **(doc.get("models") or {})}
        before = len(models["input"]) + len(models["output"])
        for kind in ("input", "output"):
            models[kind] = [m for m in models[kind] if (kind, m.get("name")) not in drop]
        doc["models"] = models
        return int(before != len(models["input"]) + len(models["output"]))

    return {"updated": _modify(call, req.task, True, change, any_status=True)}


# -- hyperparameters -------------------------------------------------------------------------
def _read_many(call: Call, ids: list[str]) -> list[dict[str, Any]]:
    """Readable tasks in request order; any unknown id → 400/101."""
    with call.app.db.read() as tx:
        found = TASKS.get(tx, ids, call.identity.readable_companies)
    missing = [i for i in dict.fromkeys(ids) if i not in found]
    if missing:
        raise errors.invalid_task_id(ids=missing)
    return [found[i][0] for i in dict.fromkeys(ids)]


@endpoint("tasks.edit_hyper_params", request=EditHyperParamsRequest)
def edit_hyper_params(call: Call) -> dict[str, Any]:
    """Add or replace hyperparameters (per item, per section or all)."""
    req = call.req(EditHyperParamsRequest)
    items = [_clean(p) for p in req.hyperparams]

    def change(doc: dict[str, Any]) -> int:
        mode = req.replace_hyperparams or "none"
        current: dict[str, Any] = {} if mode == "all" else dict(doc.get("hyperparams") or {})
        if mode == "section":
            for item in items:
                current[item["section"]] = {}
        for item in items:
            section = dict(current.get(item["section"]) or {})
            section[item["name"]] = item
            current[item["section"]] = section
        doc["hyperparams"] = current
        return 1

    return {"updated": _modify(call, req.task, req.force, change)}


@endpoint("tasks.get_hyper_params", request=TasksRequest)
def get_hyper_params(call: Call) -> dict[str, Any]:
    """The hyperparameters of tasks, as flat lists of items."""
    req = call.req(TasksRequest)
    params = []
    for doc in _read_many(call, req.tasks):
        flat = [
            item for section in (doc.get("hyperparams") or {}).values() for item in section.values()
        ]
        params.append({"task": doc["id"], "hyperparams": flat})
    return {"params": params}


@endpoint("tasks.delete_hyper_params", request=DeleteHyperParamsRequest)
def delete_hyper_params(call: Call) -> dict[str, Any]:
    """Delete hyperparameters, or whole sections when no name is given."""
    req = call.req(DeleteHyperParamsRequest)

    def change(doc: dict[str, Any]) -> int:
        current = {k: dict(v) for k, v in (doc.get("hyperparams") or {}).items()}
        deleted = 0
        for key in req.hyperparams:
            section = current.get(key.section)
            if section is None:
                continue
            if key.name is None:
                deleted += len(section)
                del current[key.section]
            elif key.name in section:
                del section[key.name]
                deleted += 1
        doc["hyperparams"] = current
        return deleted

    return {"deleted": _modify(call, req.task, req.force, change)}


# -- configuration ---------------------------------------------------------------------------
@endpoint("tasks.edit_configuration", request=EditConfigurationRequest)
def edit_configuration(call: Call) -> dict[str, Any]:
    """Add or replace configuration items (or replace them all)."""
    req = call.req(EditConfigurationRequest)
    items = [_clean(c) for c in req.configuration]

    def change(doc: dict[str, Any]) -> int:
        current = {} if req.replace_configuration else dict(doc.get("configuration") or {})
        for item in items:
            current[item["name"]] = item
        doc["configuration"] = current
        return 1

    return {"updated": _modify(call, req.task, req.force, change)}


@endpoint("tasks.get_configurations", request=GetConfigurationsRequest)
def get_configurations(call: Call) -> dict[str, Any]:
    """Configuration items of tasks, optionally only the named ones."""
    req = call.req(GetConfigurationsRequest)
    names = set(req.names) if req.names else None
    out = []
    for doc in _read_many(call, req.tasks):
        items = [
            item
            for name, item in (doc.get("configuration") or {}).items()
            if names is None or name in names
        ]
        out.append({"task": doc["id"], "configuration": items})
    return {"configurations": out}


@endpoint("tasks.get_configuration_names", request=GetConfigurationNamesRequest)
def get_configuration_names(call: Call) -> dict[str, Any]:
    """Names of the configuration items of tasks."""
    req = call.req(GetConfigurationNamesRequest)
    skip_empty = req.skip_empty is None or bool(req.skip_empty)
    out = []
    for doc in _read_many(call, req.tasks):
        names = sorted(
            name
            for name, item in (doc.get("configuration") or {}).items()
            if not skip_empty or (item or {}).get("value")
        )
        out.append({"task": doc["id"], "names": names})
    return {"configurations": out}


@endpoint("tasks.delete_configuration", request=DeleteConfigurationRequest)
def delete_configuration(call: Call) -> dict[str, Any]:
    """Delete configuration items by name."""
    req = call.req(DeleteConfigurationRequest)

    def change(doc: dict[str, Any]) -> int:
        current = dict(doc.get("configuration") or {})
        deleted = sum(1 for name in set(req.configuration) if current.pop(name, None) is not None)
        doc["configuration"] = current
        return deleted

    return {"deleted": _modify(call, req.task, req.force, change)}


# -- clone -----------------------------------------------------------------------------------
def _new_project(tx: Tx, identity: Identity, name: str) -> dict[str, str]:
    """The project named `name` in the caller's company, created (with its chain) if missing."""
    from taskyard.store import projects  # the projects store of the projects service

    found = projects.find_by_name(tx, [identity.company], projects.normalize_name(name))
    if found is not None:
        return {"id": found[0]["id"], "name": found[0]["name"]}
    created = projects.create(tx, identity.company, identity.user, name)
    return {"id": created["id"], "name": created["name"]}


def _clone_document(
    call: Call, req: CloneRequest, source: dict[str, Any], task_id: str, now: str
) -> dict[str, Any]:
    identity = call.identity
    execution = dict(source.get("execution") or {})
    execution["artifacts"] = [
        a for a in execution.get("artifacts") or [] if a.get("mode", "output") == "input"
    ]
    execution.pop("queue", None)
    overrides: dict[str, Any] = {}
    if req.execution_overrides:
        overrides = task_doc.input_for_version({"execution": req.execution_overrides}, call.version)
        execution.update(overrides.pop("execution"))
    system_tags = req.new_task_system_tags
    if system_tags is None:
        system_tags = [t for t in source.get("system_tags") or [] if t != "archived"]
    inputs = (source.get("models") or {}).get("input") or []
    if req.new_task_input_models is not None:
        inputs = task_doc.validate_models({"input": req.new_task_input_models})["input"]
    doc: dict[str, Any] = {
        "id": task_id,
        "company": identity.company,
        "user": identity.user,
        "name": (req.new_task_name or source.get("name") or "").strip(),
        "type": source.get("type", "training"),
        "status": states.CREATED,
        "comment": req.new_task_comment
        if req.new_task_comment is not None
        else source.get("comment"),
        "parent": req.new_task_parent or source.get("parent"),
        "project": req.new_task_project or source.get("project"),
        "created": now,
        "last_update": now,
        "last_change": now,
        "last_changed_by": identity.user,
        "last_iteration": 0,
        "last_metrics": {},
        "tags": task_doc.clean_tags(
            req.new_task_tags if req.new_task_tags is not None else source.get("tags") or []
        ),
        "system_tags": task_doc.clean_tags(system_tags),
        "execution": execution,
        "output": {k: v for k, v in (source.get("output") or {}).items() if k == "destination"},
        "hyperparams": task_doc.normalize_hyperparams(req.new_task_hyperparams)
        if req.new_task_hyperparams is not None
        else source.get("hyperparams") or {},
        "configuration": req.new_task_configuration
        if req.new_task_configuration is not None
        else source.get("configuration") or {},
        "container": req.new_task_container
        if req.new_task_container is not None
        else source.get("container") or {},
        "models": {"input": inputs, "output": []},
        "runtime": {},
    }
    if "script" in source:
        doc["script"] = source["script"]
    if task_doc.RAW_PARAMS in source and req.new_task_hyperparams is None:
        doc[task_doc.RAW_PARAMS] = source[task_doc.RAW_PARAMS]
    task_doc.apply_legacy(doc, overrides)
    return {k: v for k, v in doc.items() if v is not None}


@endpoint("tasks.clone", request=CloneRequest)
def clone(call: Call) -> dict[str, Any]:
    """A new task in status created, copied from another one with optional overrides."""
    req = call.req(CloneRequest)
    identity = call.identity
    task_id = clock.new_id()
    now = clock.now()
    new_project: dict[str, str] | None = None
    with call.app.db.write() as tx:
        found = store.get_readable(tx, req.task, identity)
        if found is None:
            raise errors.invalid_task_id(id=req.task)
        if req.new_project_name:
            new_project = _new_project(tx, identity, req.new_project_name)
            req.new_task_project = new_project["id"]
        doc = _clone_document(call, req, found[0], task_id, now)
        refs: dict[str, Any] = {"parent": req.new_task_parent, "project": req.new_task_project}
        if req.validate_references:
            refs.update(parent=doc.get("parent"), project=doc.get("project"), models=doc["models"])
        elif req.new_task_input_models is not None:
            refs["models"] = doc["models"]
        check_references(tx, identity, refs)
        TASKS.insert(tx, doc)
    reply: dict[str, Any] = {"id": task_id}
    if new_project is not None:
        reply["new_project"] = new_project
    return reply
