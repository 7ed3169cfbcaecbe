"""The events table: insert, scroll, series reads and deletion (see migrations/m0003_events.py).

An event as the API shows it is the payload the client sent plus the column fields
(`timestamp`, `type`, `task`, `iter`, `metric`, `variant`, `value`, `worker`) and
`@timestamp`. Scalar, plot and image events are keyed by (task, type, metric, variant, iter):
a repeated report replaces the earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from taskyard.domain.query.sql import marks
from taskyard.store.db import Row, Tx, insert_rows

LOG = "log"
SCALAR = "training_stats_scalar"
VECTOR = "training_stats_vector"
PLOT = "plot"
IMAGE = "training_debug_image"
KEYED_TYPES = frozenset({SCALAR, VECTOR, PLOT, IMAGE})
ALL_TYPES = frozenset({LOG, *KEYED_TYPES})
# `report_single_value` scalars carry the minimum int32 iteration; they are not a series.
SINGLE_VALUE_ITER = -(2**31)

# Keys kept in columns, so not repeated in the payload; keys never stored at all.
_COLUMN_KEYS = ("timestamp", "type", "task", "iter", "metric", "variant", "value", "worker")
_DROPPED_KEYS = ("method", "allow_locked", "model_event", "@timestamp", "company")
_NOT_PAYLOAD = frozenset((*_COLUMN_KEYS, *_DROPPED_KEYS))

_SELECT = (
    "SELECT id, task, type, metric, variant, iter, timestamp, value, worker, payload FROM events"
)


class NewEvent(NamedTuple):  # a tuple: cheaper to build than a frozen dataclass, per event
    company: str
    task: str
    type: str
    metric: str
    variant: str
    iter: int
    timestamp: int  # ms since the epoch
    value: float | None
    worker: str | None
    url: str | None
    payload: dict[str, Any]


def new_event(company: str, raw: dict[str, Any], now_ms: int) -> NewEvent:
    """A row from a client event dict (already validated for type and task)."""
    payload = {k: v for k, v in raw.items() if k not in _NOT_PAYLOAD}
    get = raw.get
    value = get("value")
    iteration = get("iter")
    worker = get("worker")
    url = get("url")
    return NewEvent(
        company,
        str(raw["task"]),
        str(raw["type"]),
        str(get("metric") or ""),
        str(get("variant") or ""),
        int(iteration) if iteration is not None else 0,
        int(get("timestamp") or now_ms),
        float(value) if value is not None else None,
        str(worker) if worker is not None else None,
        str(url) if isinstance(url, str) and url else None,
        payload,
    )


_INTO = (
    "events (company, task, type, metric, variant, iter, timestamp, value, worker, url, ukey, "
    "payload)"
)
# A repeated (task, type, metric, variant, iter) replaces the stored event.
_REPLACE = (
    "ON CONFLICT (task, type, metric, variant, iter, ukey) DO UPDATE SET "
    "timestamp = excluded.timestamp, value = excluded.value, worker = excluded.worker, "
    "url = excluded.url, payload = excluded.payload, company = excluded.company"
)


def insert(tx: Tx, events: Sequence[NewEvent]) -> None:
    keyed = [e for e in events if e.type in KEYED_TYPES]
    plain = [e for e in events if e.type not in KEYED_TYPES]
    row_marks = f"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {tx.dialect.json_param()}"
    if plain:
        insert_rows(tx, _INTO, row_marks, [_params(e, None) for e in plain])
    if keyed:
        # The last of several reports of one key in a batch wins, as a later batch would.
        latest = {(e.task, e.type, e.metric, e.variant, e.iter): e for e in keyed}
        insert_rows(tx, _INTO, row_marks, [_params(e, "") for e in latest.values()], _REPLACE)


def _params(e: NewEvent, ukey: str | None) -> tuple[Any, ...]:
    return (
        e.company,
        e.task,
        e.type,
        e.metric,
        e.variant,
        e.iter,
        e.timestamp,
        e.value,
        e.worker,
        e.url,
        ukey,
        orjson.dumps(e.payload).decode(),
    )


def to_document(row: Sequence[Any]) -> dict[str, Any]:
    """The API form of a row selected with `_SELECT`."""
    _, task, type_, metric, variant, iteration, timestamp, value, worker, payload = row
    doc: dict[str, Any] = orjson.loads(payload)
    doc.update(
        {
            "timestamp": int(timestamp),
            "type": type_,
            "task": task,
            "@timestamp": iso_time(int(timestamp)),
        }
    )
    if type_ != LOG or metric or variant:
        doc.update({"iter": int(iteration), "metric": metric, "variant": variant})
    elif iteration:
        doc["iter"] = int(iteration)
    if value is not None:
        doc["value"] = float(value)
    if worker is not None:
        doc["worker"] = worker
    return doc


def iso_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


# -- reads -------------------------------------------------------------------------------
def _in(values: Sequence[Any]) -> str:
    return marks(len(values))


def count(tx: Tx, tasks: Sequence[str], event_type: str | None) -> int:
    if not tasks:
        return 0
    where, params = _where(tasks, event_type)
    row = tx.query_one(f"SELECT COUNT(*) FROM events WHERE {where}", params)
    return int(row[0]) if row else 0


# The condition of the partial index events_task_time (migrations/m0012), word for word: SQLite
# uses a partial index only for a query whose WHERE clause contains it.
TIME_INDEXED = f"type <> '{SCALAR}'"


def _where(tasks: Sequence[str], event_type: str | None) -> tuple[str, list[Any]]:
    where = f"task IN ({_in(tasks)})"
    params: list[Any] = list(tasks)
    if event_type:
        where += " AND type = ?"
        params.append(event_type)
        if event_type != SCALAR:
            where += f" AND {TIME_INDEXED}"
    return where, params


def page_by_time(
    tx: Tx,
    tasks: Sequence[str],
    event_type: str | None,
    *,
    descending: bool,
    after: tuple[int, int] | None,
    limit: int,
    metrics: Sequence[tuple[str, Sequence[str]]] = (),
) -> list[Row]:
    """Rows ordered by (timestamp, id) in the given direction, strictly after the cursor."""
    if not tasks:
        return []
    where, params = _where(tasks, event_type)
    where, params = _metric_filter(where, params, metrics)
    if after is not None:
        op = "<" if descending else ">"
        where += f" AND (timestamp {op} ? OR (timestamp = ? AND id {op} ?))"
        params += [after[0], after[0], after[1]]
    direction = "DESC" if descending else "ASC"
    return tx.query(
        f"{_SELECT} WHERE {where} ORDER BY timestamp {direction}, id {direction} LIMIT ?",
        (*params, limit),
    )


def _metric_filter(
    where: str, params: list[Any], metrics: Sequence[tuple[str, Sequence[str]]]
) -> tuple[str, list[Any]]:
    if not metrics:
        return where, params
    parts = []
    for metric, variants in metrics:
        if variants:
            parts.append(f"(metric = ? AND variant IN ({_in(variants)}))")
            params += [metric, *variants]
        else:
            parts.append("metric = ?")
            params.append(metric)
    return f"{where} AND ({' OR '.join(parts)})", params


def log_page(
    tx: Tx, task: str, *, earlier: bool, from_timestamp: int | None, limit: int
) -> list[Row]:
    """Log rows before (earlier) or after `from_timestamp`, nearest first."""
    where = f"task = ? AND type = ? AND {TIME_INDEXED}"
    params: list[Any] = [task, LOG]
    if from_timestamp is not None:
        where += " AND timestamp < ?" if earlier else " AND timestamp > ?"
        params.append(from_timestamp)
    direction = "DESC" if earlier else "ASC"
    return tx.query(
        f"{_SELECT} WHERE {where} ORDER BY timestamp {direction}, id {direction} LIMIT ?",
        (*params, limit),
    )


def metric_variants(tx: Tx, tasks: Sequence[str], event_type: str) -> list[tuple[str, str, str]]:
    """Distinct (task, metric, variant) of one event type."""
    if not tasks:
        return []
    rows = tx.query(
        f"SELECT DISTINCT task, metric, variant FROM events WHERE task IN ({_in(tasks)}) "
        "AND type = ? ORDER BY task, metric, variant",
        (*tasks, event_type),
    )
    return [(str(t), str(m), str(v)) for t, m, v in rows]


def series_stats(
    tx: Tx, tasks: Sequence[str], metrics: Sequence[tuple[str, Sequence[str]]] = ()
) -> list[tuple[str, str, str, int]]:
    """(task, metric, variant, point count) of every scalar series."""
    if not tasks:
        return []
    where, params = _metric_filter(
        f"task IN ({_in(tasks)}) AND type = ? AND iter <> ?",
        [*tasks, SCALAR, SINGLE_VALUE_ITER],
        metrics,
    )
    rows = tx.query(
        f"SELECT task, metric, variant, COUNT(*) FROM events WHERE {where} "
        "GROUP BY task, metric, variant ORDER BY task, metric, variant",
        params,
    )
    return [(str(t), str(m), str(v), int(n)) for t, m, v, n in rows]


def series_points(tx: Tx, task: str, metric: str, variant: str) -> list[tuple[int, int, float]]:
    """(iter, timestamp, value) of one scalar series, by iteration."""
    rows = tx.query(
        "SELECT iter, timestamp, value FROM events WHERE task = ? AND type = ? AND metric = ? "
        "AND variant = ? AND iter <> ? ORDER BY iter, timestamp",
        (task, SCALAR, metric, variant, SINGLE_VALUE_ITER),
    )
    return [(int(i), int(t), float(v) if v is not None else 0.0) for i, t, v in rows]


def series_buckets(
    tx: Tx, task: str, metric: str, variant: str, interval: int
) -> list[tuple[int, int, float]]:
    """A long series averaged over iteration buckets of `interval`: (first iter, ts, mean)."""
    rows = tx.query(
        "SELECT MIN(iter), MAX(timestamp), AVG(value) FROM events WHERE task = ? AND type = ? "
        "AND metric = ? AND variant = ? AND iter <> ? GROUP BY (iter - (iter % ?)) "
        "ORDER BY MIN(iter)",
        (task, SCALAR, metric, variant, SINGLE_VALUE_ITER, interval),
    )
    return [(int(i), int(t), float(v) if v is not None else 0.0) for i, t, v in rows]


def iter_range(tx: Tx, task: str, metric: str, variant: str) -> tuple[int, int]:
    row = tx.query_one(
        "SELECT MIN(iter), MAX(iter) FROM events WHERE task = ? AND type = ? AND metric = ? "
        "AND variant = ? AND iter <> ?",
        (task, SCALAR, metric, variant, SINGLE_VALUE_ITER),
    )
    if not row or row[0] is None:
        return 0, 0
    return int(row[0]), int(row[1])


def latest_per_series(
    tx: Tx,
    tasks: Sequence[str],
    event_type: str,
    iters: int,
    metrics: Sequence[tuple[str, Sequence[str]]] = (),
) -> list[Row]:
    """The events of the `iters` latest iterations of every (task, metric, variant)."""
    if not tasks:
        return []
    where, params = _metric_filter(
        f"task IN ({_in(tasks)}) AND type = ?", [*tasks, event_type], metrics
    )
    return tx.query(
        f"SELECT id, task, type, metric, variant, iter, timestamp, value, worker, payload FROM "
        f"(SELECT *, DENSE_RANK() OVER (PARTITION BY task, metric, variant ORDER BY iter DESC) "
        f"AS rnk FROM events WHERE {where}) ranked WHERE rnk <= ? "
        "ORDER BY task, metric, variant, iter DESC",
        (*params, iters),
    )


def latest_iterations(
    tx: Tx, tasks: Sequence[str], event_type: str, metric: str, variant: str | None, iters: int
) -> list[int]:
    """The `iters` highest iterations with events of this series (metric, optional variant)."""
    if not tasks:
        return []
    where = f"task IN ({_in(tasks)}) AND type = ? AND metric = ?"
    params: list[Any] = [*tasks, event_type, metric]
    if variant is not None:
        where += " AND variant = ?"
        params.append(variant)
    rows = tx.query(
        f"SELECT DISTINCT iter FROM events WHERE {where} ORDER BY iter DESC LIMIT ?",
        (*params, iters),
    )
    return [int(r[0]) for r in rows]


def rows_at_iterations(
    tx: Tx,
    tasks: Sequence[str],
    event_type: str,
    metric: str,
    variant: str | None,
    iterations: Sequence[int],
) -> list[Row]:
    if not tasks:
        return []
    if not iterations:
        return []
    where = f"task IN ({_in(tasks)}) AND type = ? AND metric = ? AND iter IN ({_in(iterations)})"
    params: list[Any] = [*tasks, event_type, metric, *iterations]
    if variant is not None:
        where += " AND variant = ?"
        params.append(variant)
    return tx.query(f"{_SELECT} WHERE {where} ORDER BY iter DESC, variant", params)


def single_values(tx: Tx, tasks: Sequence[str]) -> list[Row]:
    """Scalars reported with `report_single_value` (metric Summary, the minimum int32 iter)."""
    if not tasks:
        return []
    return tx.query(
        f"{_SELECT} WHERE task IN ({_in(tasks)}) AND type = ? AND metric = ? AND iter = ? "
        "ORDER BY task, variant",
        (*tasks, SCALAR, "Summary", SINGLE_VALUE_ITER),
    )


# -- deletion ----------------------------------------------------------------------------
def table_exists(tx: Tx) -> bool:
    if tx.dialect.is_postgres:
        row = tx.query_one("SELECT to_regclass('events') IS NOT NULL")
        return bool(row and row[0])
    return (
        tx.query_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'")
        is not None
    )


def delete_task_events(tx: Tx, task_ids: Iterable[str]) -> list[str]:
    """Delete every event of these tasks (or models); returns the file URLs they referenced."""
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        return []
    urls: list[str] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = tx.query(
            f"SELECT DISTINCT url FROM events WHERE task IN ({_in(chunk)}) AND url IS NOT NULL",
            chunk,
        )
        urls.extend(str(r[0]) for r in rows)
        tx.execute(f"DELETE FROM events WHERE task IN ({_in(chunk)})", chunk)
    return urls
