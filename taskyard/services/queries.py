"""The list endpoints: tasks.get_all / get_all_ex, projects.get_all, models.get_all (§5.2).

Thin handlers over the query engine (domain/query compiles, store/query runs).
"""

from __future__ import annotations

from typing import Any

from taskyard.domain.query import MODEL, PROJECT, TASK
from taskyard.domain.query.sql import Sql, marks
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from taskyard.store import models, query
from taskyard.store.db import Tx


def _companies(call: Call, allow_public: bool = True) -> tuple[str, ...]:
    identity = call.identity
    if not allow_public:
        return (identity.company,)
    return tuple(identity.readable_companies)


def _descendants(tx: Tx, roots: list[str], companies: tuple[str, ...]) -> list[str]:
    """Project ids under `roots` (not including them), any depth."""
    if not roots:
        return []
    rows = tx.query(
        "WITH RECURSIVE d(id) AS (SELECT id FROM projects WHERE parent IN"
        f" ({marks(len(roots))}) AND company IN ({marks(len(companies))})"
        " UNION SELECT p.id FROM projects p JOIN d ON p.parent = d.id)"
        " SELECT id FROM d",
        (*roots, *companies),
    )
    return [r[0] for r in rows]


def _tasks(call: Call, joins: bool) -> dict[str, Any]:
    data = dict(call.data)
    companies = _companies(call, bool(data.get("allow_public", True)) if joins else True)
    projects = data.get("project")
    if data.get("include_subprojects") and isinstance(projects, list) and projects:
        roots = [p for p in projects if isinstance(p, str) and not p.startswith(("-", "__$"))]
        with call.app.db.read() as tx:
            data["project"] = [*projects, *_descendants(tx, roots, companies)]
    docs, scroll = query.get_all(call.app.db, TASK, data, call.version, companies, joins=joins)
    reply: dict[str, Any] = {"tasks": docs}
    if scroll is not None:
        reply["scroll_id"] = scroll
    return reply


@endpoint("tasks.get_all")
def tasks_get_all(call: Call) -> dict[str, Any]:
    """Tasks matching the filters (ids, names, statuses, tags, ranges, text), paged and sorted."""
    return _tasks(call, joins=False)


@endpoint("tasks.get_all_ex")
def tasks_get_all_ex(call: Call) -> dict[str, Any]:
    """As tasks.get_all, with reference fields joined (`project.name`, `user.name`, …)."""
    return _tasks(call, joins=True)


@endpoint("projects.get_all")
def projects_get_all(call: Call) -> dict[str, Any]:
    """Projects matching the filters; `shallow_search` limits the search to one level."""
    data = dict(call.data)
    companies = _companies(call)
    extra: Sql | None = None
    parents = data.pop("parent", None)
    if isinstance(parents, str):
        parents = [parents]
    if data.get("shallow_search"):
        if parents:
            extra = Sql(f"projects.parent IN ({marks(len(parents))})", tuple(parents))
        else:
            extra = Sql("(projects.parent IS NULL OR projects.parent = '')")
    elif parents:
        with call.app.db.read() as tx:
            ids = _descendants(tx, [p for p in parents if isinstance(p, str)], companies)
        extra = Sql(f"projects.id IN ({marks(len(ids))})", tuple(ids)) if ids else Sql("1=0")
    docs, scroll = query.get_all(call.app.db, PROJECT, data, call.version, companies, extra=extra)
    reply: dict[str, Any] = {"projects": docs}
    if scroll is not None:
        reply["scroll_id"] = scroll
    return reply


@endpoint("models.get_all")
def models_get_all(call: Call) -> dict[str, Any]:
    """Models matching the filters (task, project, name, ready, tags, uri, …)."""
    docs, scroll = query.get_all(call.app.db, MODEL, call.data, call.version, _companies(call))
    # Clients below 2.20 read `metadata` as a list (store/models.for_version).
    reply: dict[str, Any] = {"models": [models.for_version(d, call.version) for d in docs]}
    if scroll is not None:
        reply["scroll_id"] = scroll
    return reply
