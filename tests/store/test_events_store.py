"""store/events.py: time-ordered reads of logs, plots and images walk the time index, which
scalar reports no longer write (migrations/m0012)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from taskyard.store import events, migrations
from taskyard.store.db import Database, Params, Row, Tx

TASK = "t" * 32


class PlanRecorder:
    """A transaction that also records SQLite's query plan of every statement it reads with."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.dialect = tx.dialect
        self.plans: list[str] = []

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        plan = self.tx.query(f"EXPLAIN QUERY PLAN {sql}", params)
        self.plans.append(" / ".join(str(step[-1]) for step in plan))
        return self.tx.query(sql, params)

    def query_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: Params = ()) -> int:
        return self.tx.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        self.tx.executemany(sql, rows)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'events.db'}")
    migrations.upgrade(database)
    with database.write() as tx:
        events.insert(tx, [_event(events.LOG, i) for i in range(5)])
        events.insert(tx, [_event(events.SCALAR, i) for i in range(5)])
    yield database
    database.close()


def _event(kind: str, i: int) -> events.NewEvent:
    raw: dict[str, Any] = {"task": TASK, "type": kind, "iter": i, "timestamp": 1000 + i}
    if kind == events.SCALAR:
        raw.update(metric="loss", variant="train", value=float(i))
    else:
        raw["msg"] = f"line {i}"
    return events.new_event("c", raw, 0)


def test_log_and_plot_pages_walk_the_time_index(db: Database) -> None:
    with db.read() as tx:
        recorder = PlanRecorder(tx)
        logs = events.log_page(recorder, TASK, earlier=True, from_timestamp=None, limit=3)
        page = events.page_by_time(
            recorder, [TASK], events.LOG, descending=False, after=(1001, 0), limit=2
        )
        plots = events.page_by_time(
            recorder, [TASK], events.PLOT, descending=True, after=None, limit=2
        )
        total = events.count(recorder, [TASK], events.LOG)
    assert [r[6] for r in logs] == [1004, 1003, 1002]
    assert [r[6] for r in page] == [1001, 1002]
    assert plots == [] and total == 5
    assert all("events_task_time" in plan for plan in recorder.plans), recorder.plans
    assert not any("TEMP B-TREE" in plan for plan in recorder.plans[:3]), recorder.plans


def test_scalar_pages_by_time_still_come_in_time_order(db: Database) -> None:
    with db.read() as tx:
        first = events.page_by_time(
            tx, [TASK], events.SCALAR, descending=False, after=None, limit=3
        )
        rest = events.page_by_time(
            tx, [TASK], events.SCALAR, descending=False, after=(first[-1][6], first[-1][0]), limit=9
        )
        assert events.count(tx, [TASK], events.SCALAR) == 5
    assert [r[6] for r in first + rest] == [1000, 1001, 1002, 1003, 1004]
