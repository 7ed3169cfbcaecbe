"""Cluster coordination: leases for single-runner jobs, and a record of background job runs.

`leases` is how SQLite installations (several processes on one file) elect the one process that
runs a background job: a row per job name with its holder and expiry, renewed by the holder.
PostgreSQL uses a session advisory lock instead and leaves this table empty. `job_runs` keeps one
small row per run of a background job, so operators and tests can see which process ran it.
"""

from taskyard.store.db import Dialect


def steps(dialect: Dialect) -> list[str]:
    return [
        """CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires DOUBLE PRECISION NOT NULL
        )""",
        """CREATE TABLE job_runs (
            id TEXT PRIMARY KEY,
            job TEXT NOT NULL,
            holder TEXT NOT NULL,
            started TEXT NOT NULL,
            finished TEXT NOT NULL,
            affected BIGINT NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX job_runs_job_started ON job_runs (job, started)",
        # The watchdog's scan: only in-progress tasks are indexed, so it stays small and cheap.
        "CREATE INDEX tasks_in_progress_last_update ON tasks (last_update)"
        " WHERE status = 'in_progress'",
    ]
