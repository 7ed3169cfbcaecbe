"""projects.*: create (nested names), get_by_id, update, delete, validate_delete.

`projects.get_all` / `get_all_ex` live with the query engine (services/queries.py).
"""

from __future__ import annotations

from typing import Any

from taskyard import errors
from taskyard.domain import clock
from taskyard.domain.identity import Identity
from taskyard.domain.query.sql import marks
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from taskyard.http.validation import RequestModel
from taskyard.store import events as event_store
from taskyard.store import projects as store
from taskyard.store.db import Tx
from taskyard.store.entities import MODELS, PROJECTS, TASKS, Entity


class CreateRequest(RequestModel):
    name: str
    description: str | None = None
    tags: list[str] | None = None
    system_tags: list[str] | None = None
    default_output_destination: str | None = None


class ProjectRequest(RequestModel):
    project: str


class UpdateRequest(ProjectRequest):
    name: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    system_tags: list[str] | None = None
    default_output_destination: str | None = None


class DeleteRequest(ProjectRequest):
    force: bool = False
    delete_contents: bool = False


def _unique(tags: list[str] | None) -> list[str] | None:
    return sorted(set(tags)) if tags is not None else None


def _writable(tx: Tx, identity: Identity, project_id: str) -> tuple[dict[str, Any], int]:
    """The project for a write: 400/401 when unknown, 403/21 when public."""
    found = store.get(tx, project_id, identity.readable_companies)
    if found is None:
        raise errors.invalid_project_id(id=project_id)
    if found[0]["company"] != identity.company:
        raise errors.public_write([project_id], kind="project")
    return found


@endpoint("projects.create", request=CreateRequest)
def create(call: Call) -> dict[str, Any]:
    """Create a project; the missing ancestors of a nested name (`a/b`) are created too."""
    req = call.req(CreateRequest)
    name = store.normalize_name(req.name)
    with call.app.db.write() as tx:
        doc = store.create(
            tx,
            call.identity.company,
            call.identity.user,
            name,
            description=req.description,
            tags=_unique(req.tags),
            system_tags=_unique(req.system_tags),
            default_output_destination=req.default_output_destination,
        )
    return {"id": doc["id"]}


@endpoint("projects.get_by_id", request=ProjectRequest)
def get_by_id(call: Call) -> dict[str, Any]:
    """One project, including `default_output_destination`."""
    req = call.req(ProjectRequest)
    with call.app.db.read() as tx:
        found = store.get(tx, req.project, call.identity.readable_companies)
    if found is None:
        raise errors.invalid_project_id(id=req.project)
    doc = found[0]
    doc.setdefault("basename", store.basename(doc["name"]))
    return {"project": doc}


@endpoint("projects.update", request=UpdateRequest)
def update(call: Call) -> dict[str, Any]:
    """Change name (children follow), description, tags or the default output destination."""
    req = call.req(UpdateRequest)
    fields: dict[str, Any] = {}
    for key in ("description", "default_output_destination"):
        value = getattr(req, key)
        if value is not None:
            fields[key] = value
    for key in ("tags", "system_tags"):
        value = _unique(getattr(req, key))
        if value is not None:
            fields[key] = value
    with call.app.db.write() as tx:
        doc, rev = _writable(tx, call.identity, req.project)
        if req.name is not None:
            new_name = store.normalize_name(req.name)
            if new_name != doc["name"]:
                _rename(tx, call.identity, doc, new_name)
                fields["name"] = new_name
                fields["basename"] = store.basename(new_name)
                fields["parent"] = doc["parent"]
        if not fields:
            return {"updated": 0, "fields": {}}
        fields["last_update"] = clock.now()
        doc.update(fields)
        if not PROJECTS.save(tx, doc, rev):
            raise errors.general(409, "project was changed concurrently, retry")
    fields.pop("parent", None)
    return {"updated": 1, "fields": fields}


def _rename(tx: Tx, identity: Identity, doc: dict[str, Any], new_name: str) -> None:
    old = doc["name"]
    if new_name.startswith(old + "/"):
        raise errors.fields_value_error("a project cannot be moved under itself", name=new_name)
    if store.find_by_name(tx, (identity.company,), new_name) is not None:
        raise errors.expected_unique_data(name=new_name, company=identity.company)
    doc["parent"] = store.ensure_chain(
        tx, identity.company, identity.user, store.parent_name(new_name) or ""
    )
    store.rename_subtree(tx, identity.company, old, new_name)


@endpoint("projects.validate_delete", min_version="2.14", request=ProjectRequest)
def validate_delete(call: Call) -> dict[str, Any]:
    """How many tasks and models a delete of the project (and its children) would touch."""
    req = call.req(ProjectRequest)
    with call.app.db.read() as tx:
        _writable(tx, call.identity, req.project)
        ids = [p["id"] for p in store.subtree(tx, req.project, call.identity.company)]
        return store.count_contents(tx, ids, call.identity.company)


@endpoint("projects.delete", request=DeleteRequest)
def delete(call: Call) -> dict[str, Any]:
    """Delete a project and its children; refused while they hold tasks or models unless forced."""
    req = call.req(DeleteRequest)
    company = call.identity.company
    with call.app.db.write() as tx:
        _writable(tx, call.identity, req.project)
        ids = [p["id"] for p in store.subtree(tx, req.project, company)]
        counts = store.count_contents(tx, ids, company)
        if not req.force:
            if counts["non_archived_tasks"]:
                raise errors.project_has_tasks(
                    "use force=true to delete", id=req.project, tasks=counts["non_archived_tasks"]
                )
            if counts["non_archived_models"]:
                raise errors.project_has_models(
                    "use force=true to delete",
                    id=req.project,
                    models=counts["non_archived_models"],
                )
        out: dict[str, Any] = {"deleted": 0, "disassociated_tasks": 0}
        if req.delete_contents:
            out["urls"] = _delete_contents(tx, ids, company)
            out["deleted_tasks"] = counts["tasks"]
            out["deleted_models"] = counts["models"]
        else:
            out["disassociated_tasks"] = _unassign(tx, TASKS, ids, company)
            _unassign(tx, MODELS, ids, company)
        PROJECTS.delete(tx, ids)
        out["deleted"] = 1
    return out


def _unassign(tx: Tx, entity: Entity, project_ids: list[str], company: str) -> int:
    sets, params = entity.assignments(tx.dialect, {}, ("project",))
    return tx.execute(
        f"UPDATE {entity.table} SET {', '.join(sets)}, rev = rev + 1 "
        f"WHERE company = ? AND project IN ({marks(len(project_ids))})",
        (*params, company, *project_ids),
    )


def _delete_contents(tx: Tx, project_ids: list[str], company: str) -> dict[str, list[str]]:
    """Delete the tasks (with their events) and models of the projects; their file URLs."""
    where = f"WHERE company = ? AND project IN ({marks(len(project_ids))})"
    task_rows = tx.query(f"SELECT {TASKS.select_list} FROM tasks {where}", (company, *project_ids))
    task_ids: list[str] = []
    artifact_urls: list[str] = []
    for row in task_rows:
        doc, _ = TASKS.from_row(row)
        task_ids.append(doc["id"])
        for artifact in (doc.get("execution") or {}).get("artifacts") or []:
            if isinstance(artifact, dict) and artifact.get("uri"):
                artifact_urls.append(str(artifact["uri"]))
    model_urls = [
        str(uri)
        for (uri,) in tx.query(f"SELECT uri FROM models {where}", (company, *project_ids))
        if uri
    ]
    event_urls = event_store.delete_task_events(tx, task_ids)
    TASKS.delete(tx, task_ids)
    tx.execute(f"DELETE FROM models {where}", (company, *project_ids))
    # Models of other projects produced by the deleted tasks keep existing, without a task.
    if task_ids:
        tx.execute(
            "UPDATE models SET task = NULL, rev = rev + 1 "
            f"WHERE task IN ({', '.join('?' * len(task_ids))})",
            tuple(task_ids),
        )
    return {"model_urls": model_urls, "event_urls": event_urls, "artifact_urls": artifact_urls}
