"""Background jobs that run once per cluster, whatever the number of processes.

Every process starts each job (via `taskyard.app.BACKGROUND_JOBS`); on every tick the job asks
its leadership (advisory lock on PostgreSQL, lease row on SQLite, see `store/leader.py`) and
only the holder works. Each run by the holder is recorded in `job_runs`. The work runs on a
thread of its own with its own connection, so a long scan never stalls request handling on the
event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from taskyard.app import BACKGROUND_JOBS
from taskyard.config import Settings
from taskyard.context import AppContext
from taskyard.domain.clock import new_id, now
from taskyard.domain.watchdog import STATUS_FROM, WatchdogRule
from taskyard.store import checkpoint
from taskyard.store.db import Database
from taskyard.store.entities import TASKS
from taskyard.store.leader import Leadership, leadership, new_holder

log = logging.getLogger(__name__)

KEEP_RUNS = 1000  # rows of job_runs kept per job


@dataclass(frozen=True)
class ClusterJob:
    name: str
    interval_s: Callable[[Settings], float]
    work: Callable[[Database, Settings], int]  # returns how many rows it changed


class JobRunner:
    """One process's side of a cluster job: take the leadership, work, record the run."""

    def __init__(self, job: ClusterJob, settings: Settings, holder: str | None = None) -> None:
        self.job = job
        self.settings = settings
        self.db = Database(settings.db_url, durability=settings.durability)
        # A crashed SQLite holder is replaced after a few missed ticks.
        ttl = max(3 * job.interval_s(settings), 15.0)
        self.leader: Leadership = leadership(self.db, job.name, ttl, holder or new_holder())

    def tick(self) -> bool:
        """One round; True if this process was the leader and ran the job."""
        if not self.leader.acquire():
            return False
        started = now()
        affected = self.job.work(self.db, self.settings)
        record_run(self.db, self.job.name, self.leader.holder, started, affected)
        return True

    def close(self) -> None:
        self.leader.release()
        self.db.close()


def record_run(db: Database, job: str, holder: str, started: str, affected: int) -> None:
    with db.write() as tx:
        tx.execute(
            "INSERT INTO job_runs (id, job, holder, started, finished, affected) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (new_id(), job, holder, started, now(), affected),
        )
        tx.execute(
            "DELETE FROM job_runs WHERE job = ? AND started < (SELECT started FROM job_runs "
            "WHERE job = ? ORDER BY started DESC LIMIT 1 OFFSET ?)",
            (job, job, KEEP_RUNS - 1),
        )


def stop_silent_tasks(
    db: Database, timeout_s: float, at: datetime | None = None, chunk: int = 500
) -> list[str]:
    """Stop every in_progress task silent for longer than `timeout_s`; return their ids.

    The UPDATE repeats its conditions on the row itself (not only in the id subquery) so that
    PostgreSQL re-checks them against a row changed concurrently: a task pinged or moved on
    meanwhile is left alone. `rev` is bumped so that a read-modify-write in flight notices.
    """
    rule = WatchdogRule(timeout_s)
    at = at or datetime.now(UTC)
    cutoff = rule.cutoff(at)
    fields = rule.stop_fields(at)
    # The status is a literal so that both planners can use the partial index on it.
    silent = f"status = '{STATUS_FROM}' AND (last_update < ? OR last_update IS NULL)"
    sets, set_params = TASKS.assignments(db.dialect, fields)
    sql = (
        f"UPDATE tasks SET {', '.join(sets)}, rev = rev + 1 "
        f"WHERE id IN (SELECT id FROM tasks WHERE {silent} LIMIT ?) AND {silent} "
        f"RETURNING id, project"
    )
    params = (*set_params, cutoff, chunk, cutoff)
    stopped: list[str] = []
    while True:
        with db.write() as tx:
            rows = tx.query(sql, params)
            projects = sorted({r[1] for r in rows if r[1]})
            if projects:
                marks = ", ".join("?" for _ in projects)
                tx.execute(
                    f"UPDATE projects SET last_update = ? WHERE id IN ({marks}) "
                    f"AND (last_update IS NULL OR last_update < ?)",
                    (fields["last_update"], *projects, fields["last_update"]),
                )
        stopped.extend(r[0] for r in rows)
        if len(rows) < chunk:
            return stopped


def _watchdog(db: Database, settings: Settings) -> int:
    stopped = stop_silent_tasks(db, settings.watchdog_timeout_s)
    if stopped:
        log.warning("watchdog: stopped %d non-responsive task(s)", len(stopped))
    return len(stopped)


WATCHDOG = ClusterJob("watchdog", lambda s: float(s.watchdog_interval_s), _watchdog)


def background(job: ClusterJob) -> Callable[[AppContext], Coroutine[Any, Any, None]]:
    """The coroutine function that runs `job` for the life of the app."""

    async def run(app: AppContext) -> None:
        loop = asyncio.get_running_loop()
        # One thread per job, so its connections stay on the thread that opened them.
        executor = ThreadPoolExecutor(1, thread_name_prefix=f"taskyard-{job.name}")
        runner = await loop.run_in_executor(executor, JobRunner, job, app.settings)
        try:
            while True:
                try:
                    await loop.run_in_executor(executor, runner.tick)
                except Exception:
                    log.exception("background job %s failed; retrying next tick", job.name)
                await asyncio.sleep(job.interval_s(app.settings))
        finally:
            await loop.run_in_executor(executor, runner.close)
            executor.shutdown(wait=False)

    return run


BACKGROUND_JOBS.append(background(WATCHDOG))


async def wal_checkpoints(app: AppContext) -> None:
    """This process's SQLite checkpoints, on a thread of their own (store/checkpoint.py)."""
    db = app.db
    if db.dialect.is_postgres:
        return
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(1, thread_name_prefix="taskyard-checkpoint")
    checkpointer = await loop.run_in_executor(
        executor, checkpoint.Checkpointer, db.url, db.durability
    )
    checkpoint.hand_off(db)  # this coroutine runs on the loop thread: its connection
    seen = db.commits
    try:
        while True:
            await asyncio.sleep(checkpoint.INTERVAL_S)
            if db.commits == seen:
                continue
            seen = db.commits
            try:
                await loop.run_in_executor(executor, checkpointer.run)
            except Exception:
                log.exception("WAL checkpoint failed; retrying next tick")
    finally:
        await loop.run_in_executor(executor, checkpointer.close)
        executor.shutdown(wait=False)


BACKGROUND_JOBS.append(wal_checkpoints)
