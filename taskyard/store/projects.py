"""Projects in the store: lookups by name, the nested-name chain, subtrees and contents.

A project's `name` is its full path (`a/b/c`); `parent` is the id of the project named by the
path without its last part, and `basename` the last part. Creating `a/b/c` creates any missing
ancestors. Names are unique per company; on PostgreSQL a transaction-scoped advisory lock per
(company, name) serialises concurrent creators (SQLite writers are serialised already).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from taskyard import errors
from taskyard.domain import clock
from taskyard.domain.query.sql import marks
from taskyard.store.db import Tx
from taskyard.store.entities import PROJECTS


def normalize_name(name: str) -> str:
    """`" a / b/ "` → `"a/b"`; empty path parts are a validation error."""
    parts = [part.strip() for part in name.strip().strip("/").split("/")]
    if not all(parts):
        raise errors.validation_error("project name cannot be empty", name=name)
    return "/".join(parts)


def parent_name(name: str) -> str | None:
    head, sep, _ = name.rpartition("/")
    return head if sep else None


def basename(name: str) -> str:
    return name.rpartition("/")[2]


def _lock_name(tx: Tx, company: str, name: str) -> None:
    if tx.dialect.is_postgres:
        tx.query("SELECT pg_advisory_xact_lock(hashtext(?))", (f"project:{company}:{name}",))


def find_by_name(tx: Tx, companies: Sequence[str], name: str) -> tuple[dict[str, Any], int] | None:
    rows = tx.query(
        f"SELECT {PROJECTS.select_list} FROM projects WHERE name = ? "
        f"AND company IN ({marks(len(companies))})",
        (name, *companies),
    )
    if not rows:
        return None
    # The caller's own project wins over a public one of the same name.
    docs = [PROJECTS.from_row(row) for row in rows]
    docs.sort(key=lambda d: d[0].get("company") == "")
    return docs[0]


def get(tx: Tx, project_id: str, companies: Sequence[str]) -> tuple[dict[str, Any], int] | None:
    return PROJECTS.get(tx, [project_id], companies).get(project_id)


def new_document(
    company: str, user: str, name: str, parent: str | None, **fields: Any
) -> dict[str, Any]:
    now = clock.now()
    doc: dict[str, Any] = {
        "id": clock.new_id(),
        "company": company,
        "user": user,
        "name": name,
        "basename": basename(name),
        "parent": parent,
        "description": "",
        "created": now,
        "last_update": now,
        "tags": [],
        "system_tags": [],
    }
    doc.update({k: v for k, v in fields.items() if v is not None})
    return doc


def ensure_chain(tx: Tx, company: str, user: str, name: str) -> str | None:
    """The id of project `name` (a normalized path), creating it and its ancestors if missing.

    Returns None for the empty name (the root)."""
    if not name:
        return None
    _lock_name(tx, company, name)
    found = find_by_name(tx, (company,), name)
    if found is not None:
        return str(found[0]["id"])
    parent_id = ensure_chain(tx, company, user, parent_name(name) or "")
    doc = new_document(company, user, name, parent_id)
    PROJECTS.insert(tx, doc)
    return str(doc["id"])


def create(tx: Tx, company: str, user: str, name: str, **fields: Any) -> dict[str, Any]:
    """Create project `name`; its ancestors are created when missing; 400/801 if it exists."""
    _lock_name(tx, company, name)
    if find_by_name(tx, (company,), name) is not None:
        raise errors.expected_unique_data(name=name, company=company)
    parent_id = ensure_chain(tx, company, user, parent_name(name) or "")
    doc = new_document(company, user, name, parent_id, **fields)
    PROJECTS.insert(tx, doc)
    return doc


def subtree(tx: Tx, project_id: str, company: str) -> list[dict[str, Any]]:
    """The project and all its descendants (documents), the project first."""
    root = get(tx, project_id, (company,))
    if root is None:
        return []
    out = [root[0]]
    frontier = [project_id]
    while frontier:
        rows = tx.query(
            f"SELECT {PROJECTS.select_list} FROM projects WHERE company = ? "
            f"AND parent IN ({marks(len(frontier))})",
            (company, *frontier),
        )
        children = [PROJECTS.from_row(row)[0] for row in rows]
        out.extend(children)
        frontier = [c["id"] for c in children]
    return out


def _archived_sql(tx: Tx) -> str:
    if tx.dialect.is_postgres:
        return "jsonb_exists(system_tags, 'archived')"
    return "EXISTS (SELECT 1 FROM json_each(system_tags) WHERE value = 'archived')"


def count_contents(tx: Tx, project_ids: Sequence[str], company: str) -> dict[str, int]:
    """Tasks and models under the projects: totals and non-archived counts."""
    out: dict[str, int] = {}
    if not project_ids:
        return {"tasks": 0, "non_archived_tasks": 0, "models": 0, "non_archived_models": 0}
    placeholders = marks(len(project_ids))
    for table in ("tasks", "models"):
        row = tx.query_one(
            f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {_archived_sql(tx)} THEN 0 ELSE 1 END), 0) "
            f"FROM {table} WHERE company = ? AND project IN ({placeholders})",
            (company, *project_ids),
        )
        total, active = (row or (0, 0))[:2]
        out[table] = int(total)
        out[f"non_archived_{table}"] = int(active)
    return out


def rename_subtree(tx: Tx, company: str, old: str, new: str) -> int:
    """Rewrite the names of the descendants of `old` to live under `new`; returns the count."""
    rows = tx.query(
        f"SELECT {PROJECTS.select_list} FROM projects "
        "WHERE company = ? AND name LIKE ? ESCAPE '\\'",
        (company, _like_prefix(old + "/")),
    )
    count = 0
    for row in rows:
        doc, rev = PROJECTS.from_row(row)
        doc["name"] = new + doc["name"][len(old) :]
        doc["last_update"] = clock.now()
        PROJECTS.save(tx, doc, rev)
        count += 1
    return count


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
