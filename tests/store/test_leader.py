"""One runner per cluster: leases (SQLite) and advisory locks (PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskyard.config import Settings
from taskyard.services.jobs import ClusterJob, JobRunner
from taskyard.store import migrations
from taskyard.store.db import Database
from taskyard.store.leader import AdvisoryLock, Lease, holder_pid, leadership, new_holder
from tests.conftest import PG_ADMIN_URL


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_lease_has_one_holder_until_it_expires(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'l.db'}")
    migrations.upgrade(db)
    clock = FakeClock()
    a = Lease(db, "job", ttl_s=30, holder="a", clock=clock)
    b = Lease(db, "job", ttl_s=30, holder="b", clock=clock)
    assert a.acquire()
    assert not b.acquire()
    clock.t += 20
    assert a.acquire()  # renewed: expires 30 s from now
    clock.t += 20
    assert not b.acquire()
    clock.t += 11  # a stopped renewing: the lease has expired
    assert b.acquire()
    assert not a.acquire()
    a.release()  # not the holder: changes nothing
    assert not a.acquire()
    b.release()
    assert a.acquire()
    db.close()


def test_leases_of_different_jobs_are_independent(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'l.db'}")
    migrations.upgrade(db)
    assert Lease(db, "one", ttl_s=30, holder="a").acquire()
    assert Lease(db, "two", ttl_s=30, holder="b").acquire()
    db.close()


def test_advisory_lock_has_one_holder_and_passes_on(fresh_db: Database) -> None:
    if not fresh_db.dialect.is_postgres:
        pytest.skip("advisory locks are PostgreSQL's")
    a = AdvisoryLock(fresh_db.url, "job", "a")
    b = AdvisoryLock(fresh_db.url, "job", "b")
    try:
        assert a.acquire()
        assert a.acquire()  # still held, not stacked
        assert not b.acquire()
        a.release()
        assert b.acquire()
        assert not a.acquire()
    finally:
        a.release()
        b.release()


def test_advisory_lock_is_lost_with_its_session(fresh_db: Database) -> None:
    """A holder whose connection dies (crash, network) gives the lock up to the next process."""
    if not fresh_db.dialect.is_postgres:
        pytest.skip("advisory locks are PostgreSQL's")
    import psycopg

    a = AdvisoryLock(fresh_db.url, "job", "a")
    b = AdvisoryLock(fresh_db.url, "job", "b")
    try:
        assert a.acquire()
        pid = a._conn.info.backend_pid
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert b.acquire()
        assert not a.acquire()  # notices its dead session, reconnects, finds b holding it
        b.release()
        assert a.acquire()
    finally:
        a.release()
        b.release()


def test_leadership_picks_the_backends_mechanism(fresh_db: Database) -> None:
    lead = leadership(fresh_db, "job", ttl_s=30)
    kind = AdvisoryLock if fresh_db.dialect.is_postgres else Lease
    assert isinstance(lead, kind)
    assert lead.acquire()
    lead.release()


def test_holder_names_the_process() -> None:
    import os

    holder = new_holder()
    assert holder_pid(holder) == os.getpid()
    assert holder != new_holder()


def test_only_the_leader_runs_a_job_and_its_run_is_recorded(fresh_db: Database) -> None:
    ran: list[str] = []

    def work(db: Database, settings: Settings) -> int:
        ran.append("x")
        return 3

    job = ClusterJob("test-job", lambda s: 60.0, work)
    settings = Settings(db=fresh_db.url)
    first, second = JobRunner(job, settings, "first"), JobRunner(job, settings, "second")
    try:
        results = [first.tick(), second.tick(), first.tick(), second.tick()]
    finally:
        first.close()
        second.close()
    assert results == [True, False, True, False]
    assert len(ran) == 2
    with fresh_db.read() as tx:
        rows = tx.query("SELECT holder, affected FROM job_runs WHERE job = 'test-job'")
    assert rows == [("first", 3), ("first", 3)]
