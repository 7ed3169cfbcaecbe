"""Tasks in the store: access-checked lookups, conditional field updates and the SQL the
cleanup of reset/delete needs on the models, children and events of a task."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, NamedTuple

import orjson

from taskyard import errors
from taskyard.domain.identity import Identity
from taskyard.domain.query.sql import marks
from taskyard.store.db import Tx, insert_rows
from taskyard.store.entities import TASKS

Found = dict[str, tuple[dict[str, Any], int]]


# -- lookups ---------------------------------------------------------------------------------
def get_readable(tx: Tx, task_id: str, identity: Identity) -> tuple[dict[str, Any], int] | None:
    return TASKS.get(tx, [task_id], identity.readable_companies).get(task_id)


def get_readable_text(tx: Tx, task_id: str, identity: Identity) -> str | None:
    """The JSON text of a task the caller may read, as stored (private keys and all)."""
    return TASKS.get_text(tx, task_id, identity.readable_companies)


def get_writable(
    tx: Tx,
    ids: Sequence[str],
    identity: Identity,
    *,
    style: str = "company",
    with_doc: bool = True,
) -> Found:
    """The tasks, for a write: public ones → 403/21, missing ones → 400/101.

    `style` picks the reference message of the calling endpoint: `company` (id + company),
    `id` (update/edit) or `ids` (batches). Without `with_doc` only column fields are read.
    """
    found = TASKS.get(tx, ids, identity.readable_companies, with_doc=with_doc)
    public = [i for i in ids if i in found and found[i][0].get("company") == ""]
    missing = [i for i in dict.fromkeys(ids) if i not in found]
    if missing:
        if style == "ids" or len(missing) > 1:
            raise errors.invalid_task_id(ids=missing)
        if style == "id":
            raise errors.invalid_task_id(id=missing[0])
        raise errors.invalid_task_id(id=missing[0], company=identity.company)
    if public:
        raise errors.public_write(public)
    return found


# -- writes ----------------------------------------------------------------------------------
def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def update_fields(
    tx: Tx,
    task_id: str,
    sets: dict[str, Any],
    unset: Iterable[str] = (),
    *,
    expect_status: str | None = None,
    expect_rev: int | None = None,
) -> str | None:
    """One UPDATE of the given top-level fields (columns or doc keys); `unset` removes keys.

    With `expect_status` (`expect_rev`) the write happens only if the status (revision) is
    still that one. Returns the task's project ("" when none) if a row was written, None
    otherwise. A new `last_metrics` also rewrites the task's task_metrics rows (SQLite).
    """
    assigns, params = TASKS.assignments(tx.dialect, sets, unset)
    sql = f"UPDATE tasks SET {', '.join(assigns)}, rev = rev + 1 WHERE id = ?"
    params.append(task_id)
    if expect_status is not None:
        sql += " AND status = ?"
        params.append(expect_status)
    if expect_rev is not None:
        sql += " AND rev = ?"
        params.append(expect_rev)
    metric_rows = "last_metrics" in sets and not tx.dialect.is_postgres
    rows = tx.query(
        sql + (" RETURNING project, rowid" if metric_rows else " RETURNING project"), params
    )
    if not rows:
        return None
    if metric_rows:
        _write_metric_rows(tx, rows[0][1], sets["last_metrics"] or {}, None)
    return str(rows[0][0] or "")


class Progress(NamedTuple):
    """What an events batch reads of its task, and folds its scalars into."""

    rowid: int  # the task_metrics key (SQLite); 0 on PostgreSQL
    rev: int
    status: str
    last_iteration: int
    last_metrics: dict[str, Any]


def progress_of(tx: Tx, ids: Collection[str], company: str) -> dict[str, Progress]:
    """The progress fields of the company's tasks among `ids` (one statement, no document)."""
    if not ids:
        return {}
    rowid = "0" if tx.dialect.is_postgres else "rowid"
    rows = tx.query(
        f"SELECT id, {rowid}, rev, status, last_iteration, last_metrics FROM tasks "
        f"WHERE id IN ({marks(len(ids))}) AND company = ?",
        (*ids, company),
    )
    found = {}
    for task_id, row_id, rev, status, iteration, metrics_text in rows:
        metrics = orjson.loads(metrics_text) if metrics_text else {}
        found[str(task_id)] = Progress(
            int(row_id),
            int(rev),
            str(status),
            int(iteration or 0),
            metrics if isinstance(metrics, dict) else {},
        )
    return found


def record_progress(
    tx: Tx,
    task_id: str,
    read: Progress,
    last_update: str,
    last_iteration: int,
    metrics_changed: Collection[tuple[str, str]],
) -> bool:
    """Write `read.last_metrics` (changed in place by the batch), the iteration and the time,
    if the task's revision is still `read.rev`; False if another write came first.

    Only the (metric, variant) entries in `metrics_changed` are rewritten in task_metrics.
    """
    count = tx.execute(
        f"UPDATE tasks SET last_metrics = {tx.dialect.json_param()}, last_update = ?, "
        "last_iteration = ?, rev = rev + 1 WHERE id = ? AND rev = ?",
        (_json(read.last_metrics), last_update, last_iteration, task_id, read.rev),
    )
    if count != 1:
        return False
    if not tx.dialect.is_postgres:
        _write_metric_rows(tx, read.rowid, read.last_metrics, metrics_changed)
    return True


_METRIC_ROW_REPLACE = (
    "ON CONFLICT (task_rowid, metric, variant) DO UPDATE SET value = excluded.value"
)


def _write_metric_rows(
    tx: Tx,
    task_rowid: int,
    metrics: dict[str, Any],
    only: Collection[tuple[str, str]] | None,
) -> None:
    """task_metrics (SQLite's index of latest metric values, for sorting and filtering tasks by
    them; migrations m0006, m0012) after `last_metrics` became `metrics`."""
    if only is None:
        tx.execute("DELETE FROM task_metrics WHERE task_rowid = ?", (task_rowid,))
    pairs = only if only is not None else _metric_pairs(metrics)
    rows = []
    for metric, variant in pairs:
        entry = (metrics.get(metric) or {}).get(variant)
        if isinstance(entry, dict):
            rows.append((task_rowid, metric, variant, _metric_value(entry.get("value"))))
    if rows:
        insert_rows(
            tx,
            "task_metrics (task_rowid, metric, variant, value)",
            "?, ?, ?, ?",
            rows,
            _METRIC_ROW_REPLACE,
        )


def _metric_pairs(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (metric, variant)
        for metric, variants in metrics.items()
        if isinstance(variants, dict)
        for variant, entry in variants.items()
        if isinstance(entry, dict)
    ]


def _metric_value(value: Any) -> Any:
    """The value as SQLite's json_extract gives it (what the insert trigger stores)."""
    if isinstance(value, bool):
        return int(value)
    if value is None or isinstance(value, (int, float, str)):
        return value
    return _json(value)


def touch_project(tx: Tx, project: str | None, now: str) -> None:
    if project:
        tx.execute("UPDATE projects SET last_update = ? WHERE id = ?", (now, project))


def ping(tx: Tx, task_id: str, company: str, now: str) -> None:
    """Liveness: one UPDATE of a column, no read, no error if the task is not there."""
    tx.execute(
        "UPDATE tasks SET last_update = ? WHERE id = ? AND company = ?", (now, task_id, company)
    )


def save_if(tx: Tx, doc: dict[str, Any], rev: int, status: str) -> bool:
    """Write a whole document back if neither its rev nor its status changed since read."""
    sets, params = TASKS.rewrite(tx, doc)
    count = tx.execute(
        f"UPDATE tasks SET {sets}, rev = rev + 1 WHERE id = ? AND rev = ? AND status = ?",
        (*params, doc["id"], rev, status),
    )
    return count == 1


def move_to_trash(tx: Tx, doc: dict[str, Any], now: str) -> None:
    tx.execute("DELETE FROM tasks_trash WHERE id = ?", (doc["id"],))
    tx.execute(
        f"INSERT INTO tasks_trash (id, company, deleted, doc) VALUES (?, ?, ?, "
        f"{tx.dialect.json_param()})",
        (doc["id"], doc.get("company", ""), now, _json(doc)),
    )


# -- references ------------------------------------------------------------------------------
def project_in_company(tx: Tx, project: str, company: str) -> bool:
    row = tx.query_one("SELECT 1 FROM projects WHERE id = ? AND company = ?", (project, company))
    return row is not None


def tasks_exist(tx: Tx, ids: Sequence[str], companies: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    rows = tx.query(
        f"SELECT id FROM tasks WHERE id IN ({marks(len(ids))}) "
        f"AND company IN ({marks(len(companies))})",
        (*ids, *companies),
    )
    return {r[0] for r in rows}


def models_exist(tx: Tx, ids: Sequence[str], companies: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    rows = tx.query(
        f"SELECT id FROM models WHERE id IN ({marks(len(ids))}) "
        f"AND company IN ({marks(len(companies))})",
        (*ids, *companies),
    )
    return {r[0] for r in rows}


# -- cleanup (§4.3) --------------------------------------------------------------------------
def children(tx: Tx, task_ids: Sequence[str]) -> list[tuple[str, str]]:
    """(id, status) of every task whose parent is one of `task_ids`."""
    if not task_ids:
        return []
    rows = tx.query(
        f"SELECT id, status FROM tasks WHERE parent IN ({marks(len(task_ids))})", tuple(task_ids)
    )
    return [(r[0], r[1]) for r in rows]


def reparent_children(tx: Tx, task_id: str, now: str) -> int:
    sets, params = TASKS.assignments(
        tx.dialect, {"parent": f"__DELETED__{task_id}", "last_update": now}
    )
    return tx.execute(
        f"UPDATE tasks SET {', '.join(sets)}, rev = rev + 1 WHERE parent = ?", (*params, task_id)
    )


def task_models(tx: Tx, task_id: str, extra_ids: Sequence[str] = ()) -> list[tuple[str, bool, str]]:
    """(id, ready, uri) of the models whose `task` is this task, plus `extra_ids`."""
    sql = "SELECT id, ready, uri FROM models WHERE task = ?"
    params: list[Any] = [task_id]
    if extra_ids:
        sql += f" OR id IN ({marks(len(extra_ids))})"
        params.extend(extra_ids)
    return [(r[0], bool(r[1]), r[2] or "") for r in tx.query(sql, params)]


def delete_models(tx: Tx, ids: Sequence[str]) -> int:
    if not ids:
        return 0
    return tx.execute(f"DELETE FROM models WHERE id IN ({marks(len(ids))})", tuple(ids))


def detach_models(tx: Tx, ids: Sequence[str], task_id: str, now: str) -> int:
    if not ids:
        return 0
    return tx.execute(
        f"UPDATE models SET task = ?, last_update = ?, rev = rev + 1 "
        f"WHERE id IN ({marks(len(ids))})",
        (f"__DELETED__{task_id}", now, *ids),
    )


def set_model_ready(tx: Tx, model_id: str, companies: Sequence[str], now: str) -> int:
    """Mark a model ready (publish); returns 1 if it was a draft that is now ready."""
    return tx.execute(
        f"UPDATE models SET ready = TRUE, last_update = ?, rev = rev + 1 WHERE id = ? "
        f"AND ready = FALSE AND company IN ({marks(len(companies))})",
        (now, model_id, *companies),
    )


def events_table_exists(tx: Tx) -> bool:
    """Whether the events table exists yet (it arrives with migration 0003).

    Asked per call (a catalog lookup): reset/delete are rare, and one process may serve
    databases at different migration levels (tests)."""
    if tx.dialect.is_postgres:
        row = tx.query_one("SELECT to_regclass('events') IS NOT NULL")
        return bool(row and row[0])
    row = tx.query_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'")
    return row is not None


def delete_events(tx: Tx, task_ids: Sequence[str]) -> int:
    if not task_ids or not events_table_exists(tx):
        return 0
    return tx.execute(f"DELETE FROM events WHERE task IN ({marks(len(task_ids))})", tuple(task_ids))


def event_urls(tx: Tx, task_ids: Sequence[str]) -> list[str]:
    """The file URLs of the tasks' events (debug images), for `return_file_urls`."""
    if not task_ids or not events_table_exists(tx):
        return []
    rows = tx.query(
        f"SELECT DISTINCT url FROM events WHERE task IN ({marks(len(task_ids))}) "
        "AND url IS NOT NULL AND url <> '' ORDER BY url",
        tuple(task_ids),
    )
    return [r[0] for r in rows]
