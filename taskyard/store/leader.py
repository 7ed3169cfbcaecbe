"""One runner per cluster: which process may run a background job right now.

Every taskyard process starts the same background jobs; each job asks its `Leadership` before
working, and only the holder proceeds.

* PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) on a connection dedicated to it.
  The lock lives exactly as long as that session, so a crashed or partitioned holder loses it
  the moment PostgreSQL notices, and another process takes over on its next attempt.
* SQLite: a row in `leases` with a holder and an expiry. The holder renews it on every attempt;
  anyone may take it once it has expired. A crashed holder is replaced after `ttl_s`.

Either way a job's writes must still be safe if two runners ever overlap for one tick (a
connection that died unnoticed, a clock jump): the watchdog's UPDATE is conditional on status.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any, Protocol

from taskyard.store.db import Database


def new_holder() -> str:
    """A holder name: host and pid (who ran it, for operators) and a nonce (pid reuse, and
    several servers in one test process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def holder_pid(holder: str) -> int:
    return int(holder.split(":")[-2])


class Leadership(Protocol):
    name: str
    holder: str

    def acquire(self) -> bool:
        """Take or keep the leadership; True while this process holds it. Never raises."""

    def release(self) -> None:
        """Give it up (on shutdown) so another process can take over at once."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (advisory locks are scoped to one database)."""
    digest = hashlib.sha256(f"taskyard:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """PostgreSQL: a session advisory lock held on a dedicated autocommit connection."""

    def __init__(self, url: str, name: str, holder: str | None = None) -> None:
        self.url = url
        self.name = name
        self.holder = holder or new_holder()
        self.key = advisory_key(name)
        self._conn: Any = None
        self._held = False

    def acquire(self) -> bool:
        import psycopg

        try:
            if self._conn is None or self._conn.closed:
                self._held = False
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            if self._held:
                # Same session alive means the lock is still ours; a dead one raises here.
                self._conn.execute("SELECT 1")
                return True
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            self._held = bool(row and row[0])
        except psycopg.Error:
            self._close()
        return self._held

    def release(self) -> None:
        import psycopg

        if self._conn is not None and self._held:
            # If the session is gone, the lock went with it.
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._close()

    def _close(self) -> None:
        self._held = False
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


class Lease:
    """SQLite (or any backend): a lease row renewed by its holder, taken over after expiry."""

    def __init__(
        self,
        db: Database,
        name: str,
        ttl_s: float,
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.name = name
        self.ttl_s = ttl_s
        self.holder = holder or new_holder()
        self.clock = clock

    def acquire(self) -> bool:
        now = self.clock()
        try:
            with self.db.write() as tx:
                taken = tx.execute(
                    "UPDATE leases SET holder = ?, expires = ? "
                    "WHERE name = ? AND (holder = ? OR expires < ?)",
                    (self.holder, now + self.ttl_s, self.name, self.holder, now),
                )
                if not taken:
                    taken = tx.execute(
                        "INSERT INTO leases (name, holder, expires) SELECT ?, ?, ? "
                        "WHERE NOT EXISTS (SELECT 1 FROM leases WHERE name = ?)",
                        (self.name, self.holder, now + self.ttl_s, self.name),
                    )
        except Exception:
            return False  # database busy or gone: not the leader this round
        return taken == 1

    def release(self) -> None:
        try:
            with self.db.write() as tx:
                tx.execute(
                    "DELETE FROM leases WHERE name = ? AND holder = ?", (self.name, self.holder)
                )
        except Exception:
            pass  # it expires on its own


def leadership(db: Database, name: str, ttl_s: float, holder: str | None = None) -> Leadership:
    """The right kind of leadership for the database behind `db`."""
    if db.dialect.is_postgres:
        return AdvisoryLock(db.url, name, holder)
    return Lease(db, name, ttl_s, holder)
