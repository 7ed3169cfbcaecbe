"""events.*: report (add / add_batch) and read task logs, scalars, plots and debug images.

Reporting scalars also updates the task's `last_metrics` and `last_iteration` in the same
transaction as the insert, so a reader never sees events without their summary or the reverse.
Scrolling is stateless: a scroll id is the position of the last event returned.
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import Field

from taskyard import errors
from taskyard.domain import clock, last_metrics
from taskyard.domain.identity import Identity
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from taskyard.http.validation import RequestModel
from taskyard.store import events as store
from taskyard.store import tasks as task_store
from taskyard.store.db import Row, Tx
from taskyard.store.entities import MODELS, TASKS

LOCKED_STATUSES = ("published", "publishing")
DEFAULT_SAMPLES = 6000
MAX_BATCH = 10000
_END = "end"  # scroll id of a read that returned everything at once


class MetricVariants(RequestModel):
    metric: str | None = None
    variants: list[str] | None = None


class TaskEventsRequest(RequestModel):
    task: str
    model_events: bool = False


class GetTaskEventsRequest(TaskEventsRequest):
    event_type: str | None = None
    order: str = "asc"
    batch_size: int = Field(default=500, ge=1)
    scroll_id: str | None = None
    metrics: list[MetricVariants] | None = None


class GetTaskLogRequest(TaskEventsRequest):
    batch_size: int = Field(default=500, ge=1)
    navigate_earlier: bool = True
    from_timestamp: float | None = None
    order: str | None = None


class HistogramRequest(TaskEventsRequest):
    samples: int | None = Field(default=None, ge=0)
    key: str = "iter"
    metrics: list[MetricVariants] | None = None


class MultiHistogramRequest(RequestModel):
    tasks: list[str]
    samples: int | None = Field(default=None, ge=0)
    key: str = "iter"
    model_events: bool = False


class PlotsRequest(TaskEventsRequest):
    iters: int = Field(default=1, ge=1)
    scroll_id: str | None = None
    metrics: list[MetricVariants] | None = None
    no_scroll: bool = False


class MultiPlotsRequest(RequestModel):
    tasks: list[str]
    iters: int = Field(default=1, ge=1)
    scroll_id: str | None = None
    model_events: bool = False


class TaskMetricVariants(RequestModel):
    task: str
    metric: str | None = None
    variants: list[str] | None = None


class DebugImagesRequest(RequestModel):
    metrics: list[TaskMetricVariants]
    iters: int = Field(default=1, ge=1)
    navigate_earlier: bool = True
    refresh: bool = False
    scroll_id: str | None = None
    model_events: bool = False


class DebugImageSampleRequest(TaskEventsRequest):
    metric: str
    variant: str
    iteration: int | None = None


class TasksRequest(RequestModel):
    tasks: list[str]
    model_events: bool = False
    event_type: str | None = None


class DeleteForTaskRequest(RequestModel):
    task: str
    allow_locked: bool = False


# -- lookups -----------------------------------------------------------------------------
def _readable(tx: Tx, identity: Identity, ids: Sequence[str], models: bool = False) -> list[str]:
    """The ids the caller may read; 400/101 (or 400/201 for models) naming the first unknown."""
    entity = MODELS if models else TASKS
    found = entity.get(tx, ids, identity.readable_companies)
    for item in ids:
        if item not in found:
            if models:
                raise errors.invalid_model_id(model=item)
            raise errors.invalid_task_id(id=item)
    return list(dict.fromkeys(ids))


def _names(tx: Tx, identity: Identity, ids: Sequence[str], models: bool) -> dict[str, str]:
    entity = MODELS if models else TASKS
    found = entity.get(tx, ids, identity.readable_companies)
    return {i: str(doc.get("name") or "") for i, (doc, _) in found.items()}


def _metric_pairs(metrics: Sequence[MetricVariants] | None) -> list[tuple[str, list[str]]]:
    return [(m.metric, list(m.variants or [])) for m in metrics or [] if m.metric]


def _encode_scroll(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode()


def _decode_scroll(scroll_id: str) -> tuple[int, int]:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(scroll_id.encode()))
        return int(value[0]), int(value[1])
    except (ValueError, TypeError, IndexError, orjson.JSONDecodeError):
        raise errors.validation_error("invalid scroll id", scroll_id=scroll_id) from None


# -- reporting ---------------------------------------------------------------------------
class _Batch:
    """Validates a batch item by item; bad items are counted by reason, not fatal."""

    def __init__(self) -> None:
        self.errors: dict[str, int] = {}

    def reject(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1

    def check(self, raw: dict[str, Any]) -> bool:
        reason = _problem(raw)
        if reason is not None:
            self.reject(reason)
        return reason is None


_INT64 = 2**63 - 1
_TEXT_FIELDS = ("metric", "variant", "worker", "url")


def _problem(raw: dict[str, Any]) -> str | None:
    """Why an event cannot be stored, or None. Column values must have the column's type."""
    event_type = raw.get("type")
    if not isinstance(event_type, str) or event_type not in store.ALL_TYPES:
        return f"Invalid event type {str(event_type)[:100]}"
    task = raw.get("task")
    if not isinstance(task, str) or not task or "\x00" in task:
        return "Event must have a 'task' field"
    for name in _TEXT_FIELDS:
        value = raw.get(name)
        if value is not None and (not isinstance(value, str) or "\x00" in value):
            return f"Invalid {name}"
    for name in ("iter", "timestamp"):
        value = raw.get(name)
        if value is not None and not _is_int(value):
            return f"Invalid {name}"
    value = raw.get("value")
    if event_type == store.SCALAR and value is None:
        return "Scalar event value must be a number"
    if value is not None and (not _is_number(value) or not math.isfinite(value)):
        return "Event value must be a finite number"
    try:
        orjson.dumps(raw)
    except TypeError:  # e.g. lone surrogates in strings: not storable as JSON text
        return "Event is not valid JSON text"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        if not value.is_integer():
            return False
        value = int(value)
    return isinstance(value, int) and -_INT64 <= value <= _INT64


def _add(call: Call, items: list[dict[str, Any]]) -> dict[str, Any]:
    if not items:
        raise errors.batch_contains_no_items()
    identity = call.identity
    batch = _Batch()
    valid = [item for item in items if batch.check(item)]
    now_ms = int(time.time() * 1000)
    with call.app.db.write() as tx:
        task_items = [i for i in valid if not i.get("model_event")]
        model_items = [i for i in valid if i.get("model_event")]
        tasks = task_store.progress_of(tx, _task_ids(task_items), identity.company)
        rows = _accept_task_events(identity, task_items, tasks, batch, now_ms)
        rows += _accept_model_events(tx, identity, model_items, batch, now_ms)
        store.insert(tx, rows)
        _update_tasks(tx, identity.company, [r for r in rows if r.task in tasks], tasks)
    out: dict[str, Any] = {"added": len(rows), "errors": sum(batch.errors.values())}
    out["errors_info"] = batch.errors
    return out


def _task_ids(items: list[dict[str, Any]]) -> set[str]:
    return {str(i["task"]) for i in items}


def _accept_task_events(
    identity: Identity,
    items: list[dict[str, Any]],
    found: dict[str, task_store.Progress],
    batch: _Batch,
    now_ms: int,
) -> list[store.NewEvent]:
    rows = []
    for item in items:
        task = found.get(item["task"])
        if task is None:
            batch.reject("Invalid task id")
            continue
        if task.status in LOCKED_STATUSES and not item.get("allow_locked"):
            batch.reject("Task is locked")
            continue
        rows.append(store.new_event(identity.company, item, now_ms))
    return rows


def _accept_model_events(
    tx: Tx, identity: Identity, items: list[dict[str, Any]], batch: _Batch, now_ms: int
) -> list[store.NewEvent]:
    found = MODELS.get(tx, _task_ids(items), (identity.company,))
    rows = []
    for item in items:
        if item["task"] not in found:
            batch.reject("Invalid model id")
            continue
        rows.append(store.new_event(identity.company, item, now_ms))
    return rows


def _update_tasks(
    tx: Tx,
    company: str,
    rows: list[store.NewEvent],
    found: dict[str, task_store.Progress],
) -> None:
    """Fold the batch into each task's last_metrics / last_iteration / last_update.

    One UPDATE of just those columns per task (never `doc`), conditional on the revision read
    with the batch; a concurrent writer (PostgreSQL) makes it re-read.
    """
    per_task: dict[str, list[store.NewEvent]] = {}
    for row in rows:
        if row.type != store.LOG:
            per_task.setdefault(row.task, []).append(row)
    now = clock.now()
    for task_id, events in per_task.items():
        points = [
            last_metrics.Point(e.metric, e.variant, e.iter, e.timestamp, e.value)
            for e in events
            if e.type == store.SCALAR and e.value is not None
        ]
        top = max((e.iter for e in events if e.iter != store.SINGLE_VALUE_ITER), default=None)
        read = found.get(task_id)
        for _ in range(10):
            if read is None:
                break
            changed = last_metrics.apply(read.last_metrics, points)
            iteration = read.last_iteration if top is None else max(read.last_iteration, top)
            if task_store.record_progress(tx, task_id, read, now, iteration, changed):
                break
            read = task_store.progress_of(tx, [task_id], company).get(task_id)
        else:
            raise errors.failed_changing_task_status(
                "task was changed concurrently while reporting events", task_id=task_id
            )


@endpoint("events.add_batch", batch=True)
def add_batch(call: Call) -> dict[str, Any]:
    """Add events (json-lines): logs, scalars, plots and debug images."""
    return _add(call, call.batch or [])


@endpoint("events.add")
def add(call: Call) -> dict[str, Any]:
    """Add one event."""
    result = _add(call, [call.data] if call.data else [])
    return {} if not result["errors"] else result


# -- reads -------------------------------------------------------------------------------
@endpoint("events.get_task_events", request=GetTaskEventsRequest)
def get_task_events(call: Call) -> dict[str, Any]:
    """A task's events of one type (or all), by time, scrolling with `scroll_id`."""
    req = call.req(GetTaskEventsRequest)
    descending = req.order == "desc"
    after = _decode_scroll(req.scroll_id) if req.scroll_id else None
    limit = min(req.batch_size, MAX_BATCH)
    with call.app.db.read() as tx:
        _readable(tx, call.identity, [req.task], req.model_events)
        rows = store.page_by_time(
            tx,
            [req.task],
            req.event_type,
            descending=descending,
            after=after,
            limit=limit,
            metrics=_metric_pairs(req.metrics),
        )
        total = store.count(tx, [req.task], req.event_type)
    scroll = _encode_scroll((int(rows[-1][6]), int(rows[-1][0]))) if rows else req.scroll_id
    return {
        "events": [store.to_document(r) for r in rows],
        "returned": len(rows),
        "total": total,
        "scroll_id": scroll,
    }


@endpoint("events.get_task_log", request=GetTaskLogRequest)
def get_task_log(call: Call) -> dict[str, Any]:
    """Log lines before (navigate_earlier, the default) or after a timestamp."""
    req = call.req(GetTaskLogRequest)
    with call.app.db.read() as tx:
        _readable(tx, call.identity, [req.task], req.model_events)
        rows = store.log_page(
            tx,
            req.task,
            earlier=req.navigate_earlier,
            from_timestamp=int(req.from_timestamp) if req.from_timestamp is not None else None,
            limit=min(req.batch_size, MAX_BATCH),
        )
        total = store.count(tx, [req.task], store.LOG)
    events = [store.to_document(r) for r in rows]
    # Rows come nearest-first; `order` asks for an explicit direction instead.
    if (req.navigate_earlier and req.order == "asc") or (
        not req.navigate_earlier and req.order == "desc"
    ):
        events.reverse()
    return {"events": events, "returned": len(events), "total": total}


@endpoint("events.get_scalar_metrics_and_variants", request=TaskEventsRequest)
def get_scalar_metrics_and_variants(call: Call) -> dict[str, Any]:
    """The scalar metrics of a task and their variants."""
    req = call.req(TaskEventsRequest)
    with call.app.db.read() as tx:
        _readable(tx, call.identity, [req.task], req.model_events)
        pairs = store.metric_variants(tx, [req.task], store.SCALAR)
    metrics: dict[str, dict[str, Any]] = {}
    for _, metric, variant in pairs:
        metrics.setdefault(metric, {})[variant] = {"name": variant}
    return {"metrics": metrics}


def _series(
    tx: Tx, task: str, metric: str, variant: str, count: int, samples: int, key: str
) -> dict[str, Any]:
    """One series as {x, y}, averaged into at most `samples` points when longer."""
    if samples and count > samples and key == "iter":
        low, high = store.iter_range(tx, task, metric, variant)
        interval = max(1, math.ceil((high - low + 1) / samples))
        points = store.series_buckets(tx, task, metric, variant, interval)
    else:
        points = store.series_points(tx, task, metric, variant)
        if samples and len(points) > samples:
            points = _chunk_mean(points, samples)
    if key == "timestamp":
        xs: list[Any] = [p[1] for p in points]
    elif key == "iso_time":
        xs = [store.iso_time(p[1]) for p in points]
    else:
        xs = [p[0] for p in points]
    return {"x": xs, "y": [p[2] for p in points]}


def _chunk_mean(points: list[tuple[int, int, float]], samples: int) -> list[tuple[int, int, float]]:
    size = math.ceil(len(points) / samples)
    out = []
    for start in range(0, len(points), size):
        chunk = points[start : start + size]
        out.append((chunk[0][0], chunk[0][1], sum(p[2] for p in chunk) / len(chunk)))
    return out


def _check_key(key: str) -> None:
    if key not in ("iter", "timestamp", "iso_time"):
        raise errors.validation_error(
            f"error for field 'key': value {key!r} is not a valid choice."
        )


def _samples(samples: int | None) -> int:
    return DEFAULT_SAMPLES if samples is None else samples


@endpoint("events.scalar_metrics_iter_histogram", request=HistogramRequest)
def scalar_metrics_iter_histogram(call: Call) -> dict[str, Any]:
    """Every scalar series of a task, `{metric: {variant: {x, y, name}}}`, downsampled."""
    req = call.req(HistogramRequest)
    _check_key(req.key)
    samples = _samples(req.samples)
    out: dict[str, dict[str, Any]] = {}
    with call.app.db.read() as tx:
        _readable(tx, call.identity, [req.task], req.model_events)
        for _, metric, variant, count in store.series_stats(
            tx, [req.task], _metric_pairs(req.metrics)
        ):
            series = _series(tx, req.task, metric, variant, count, samples, req.key)
            series["name"] = variant
            out.setdefault(metric, {})[variant] = series
    return out


@endpoint("events.multi_task_scalar_metrics_iter_histogram", request=MultiHistogramRequest)
def multi_task_scalar_metrics_iter_histogram(call: Call) -> dict[str, Any]:
    """Scalar series of several tasks: `{metric: {variant: {task: {x, y, name}}}}`."""
    req = call.req(MultiHistogramRequest)
    _check_key(req.key)
    if len(req.tasks) > 100:
        raise errors.validation_error("too many tasks (maximum 100)", tasks=len(req.tasks))
    samples = _samples(req.samples)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with call.app.db.read() as tx:
        ids = _readable(tx, call.identity, req.tasks, req.model_events)
        names = _names(tx, call.identity, ids, req.model_events)
        for task, metric, variant, count in store.series_stats(tx, ids):
            series = _series(tx, task, metric, variant, count, samples, req.key)
            series["name"] = names.get(task, task)
            out.setdefault(metric, {}).setdefault(variant, {})[task] = series
    return out


def _plots_reply(rows: list[Row], scroll_id: str | None) -> dict[str, Any]:
    plots = [store.to_document(r) for r in rows] if scroll_id != _END else []
    return {"plots": plots, "returned": len(plots), "total": len(plots), "scroll_id": _END}


@endpoint("events.get_task_plots", request=PlotsRequest)
def get_task_plots(call: Call) -> dict[str, Any]:
    """The plots of the `iters` latest iterations of every plot series of a task."""
    req = call.req(PlotsRequest)
    with call.app.db.read() as tx:
        _readable(tx, call.identity, [req.task], req.model_events)
        rows = []
        if req.scroll_id != _END:
            rows = store.latest_per_series(
                tx, [req.task], store.PLOT, req.iters, _metric_pairs(req.metrics)
            )
    return _plots_reply(rows, req.scroll_id)


@endpoint("events.get_multi_task_plots", request=MultiPlotsRequest)
def get_multi_task_plots(call: Call) -> dict[str, Any]:
    """Latest plots of several tasks: `{metric: {variant: {task: {…, plots: […]}}}}`."""
    req = call.req(MultiPlotsRequest)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    returned = 0
    with call.app.db.read() as tx:
        ids = _readable(tx, call.identity, req.tasks, req.model_events)
        names = _names(tx, call.identity, ids, req.model_events)
        rows = (
            store.latest_per_series(tx, ids, store.PLOT, req.iters) if req.scroll_id != _END else []
        )
    for row in rows:
        doc = store.to_document(row)
        entry = out.setdefault(doc["metric"], {}).setdefault(doc["variant"], {})
        per_task = entry.setdefault(doc["task"], {"name": names.get(doc["task"], ""), "plots": []})
        per_task["plots"].append(doc)
        returned += 1
    return {"plots": out, "returned": returned, "total": returned, "scroll_id": _END}


@endpoint("events.debug_images", request=DebugImagesRequest)
def debug_images(call: Call) -> dict[str, Any]:
    """Debug image events of the latest iterations, grouped by task and iteration."""
    req = call.req(DebugImagesRequest)
    result = []
    with call.app.db.read() as tx:
        ids = _readable(tx, call.identity, [m.task for m in req.metrics], req.model_events)
        by_task: dict[str, list[tuple[str, list[str]]]] = {i: [] for i in ids}
        for m in req.metrics:
            if m.metric:
                by_task[m.task].append((m.metric, list(m.variants or [])))
        for task, pairs in by_task.items():
            rows = (
                store.latest_per_series(tx, [task], store.IMAGE, req.iters, pairs)
                if req.scroll_id != _END
                else []
            )
            iterations: dict[int, list[dict[str, Any]]] = {}
            for row in rows:
                doc = store.to_document(row)
                iterations.setdefault(doc["iter"], []).append(doc)
            ordered = sorted(iterations.items(), reverse=req.navigate_earlier)
            result.append(
                {"task": task, "iterations": [{"iter": i, "events": e} for i, e in ordered]}
            )
    return {"metrics": result, "scroll_id": _END}


@endpoint("events.get_debug_image_sample", request=DebugImageSampleRequest)
def get_debug_image_sample(call: Call) -> dict[str, Any]:
    """One debug image of a series: at `iteration`, or the latest."""
    req = call.req(DebugImageSampleRequest)
    with call.app.db.read() as tx:
        _readable(tx, call.identity, [req.task], req.model_events)
        iters = store.latest_iterations(tx, [req.task], store.IMAGE, req.metric, req.variant, 10**9)
        target = [req.iteration] if req.iteration is not None else iters[:1]
        rows = store.rows_at_iterations(
            tx, [req.task], store.IMAGE, req.metric, req.variant, target
        )
    out: dict[str, Any] = {"scroll_id": _END, "event": None}
    if rows:
        out["event"] = store.to_document(rows[0])
    if iters:
        out["min_iteration"], out["max_iteration"] = min(iters), max(iters)
    return out


@endpoint("events.get_task_single_value_metrics", request=TasksRequest)
def get_task_single_value_metrics(call: Call) -> dict[str, Any]:
    """Values reported with `report_single_value`, per task."""
    req = call.req(TasksRequest)
    with call.app.db.read() as tx:
        ids = _readable(tx, call.identity, req.tasks, req.model_events)
        rows = store.single_values(tx, ids)
    per_task: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in rows:
        doc = store.to_document(row)
        per_task[doc["task"]].append(
            {k: doc.get(k) for k in ("metric", "variant", "value", "timestamp")}
        )
    return {"tasks": [{"task": t, "values": v} for t, v in per_task.items()]}


@endpoint("events.get_task_metrics", request=TasksRequest)
def get_task_metrics(call: Call) -> dict[str, Any]:
    """The metric names each task reported events of (one event type)."""
    req = call.req(TasksRequest)
    with call.app.db.read() as tx:
        ids = _readable(tx, call.identity, req.tasks, req.model_events)
        triples = store.metric_variants(tx, ids, req.event_type or store.SCALAR)
    per_task: dict[str, list[str]] = {i: [] for i in ids}
    for task, metric, _ in triples:
        if metric not in per_task[task]:
            per_task[task].append(metric)
    return {"metrics": [{"task": t, "metrics": m} for t, m in per_task.items()]}


@endpoint("events.delete_for_task", request=DeleteForTaskRequest)
def delete_for_task(call: Call) -> dict[str, Any]:
    """Delete every event of a task."""
    req = call.req(DeleteForTaskRequest)
    with call.app.db.write() as tx:
        found = TASKS.get(tx, [req.task], call.identity.readable_companies).get(req.task)
        if found is None:
            raise errors.invalid_task_id(id=req.task)
        if found[0]["company"] != call.identity.company:
            raise errors.public_write([req.task])
        if found[0].get("status") in LOCKED_STATUSES and not req.allow_locked:
            raise errors.invalid_task_status(
                "cannot delete events of a published task", status=found[0].get("status")
            )
        deleted = store.count(tx, [req.task], None)
        store.delete_task_events(tx, [req.task])
    return {"deleted": deleted}
