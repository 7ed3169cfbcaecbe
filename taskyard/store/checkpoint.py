"""SQLite WAL checkpoints on a thread of their own, off the request path.

A checkpoint copies the pages committed to the `-wal` file back into the database file and
flushes both to the disk (two fsyncs). By default SQLite runs one inside whichever COMMIT
pushes the WAL past 1,000 pages, on the committing thread: in a server process that is the
event loop, which then stands still for the copy and both fsyncs: with 8 clients reporting event
batches that was a fifth of its time (2-core development VM: 1,225 batches/s with checkpoints
on the loop, 1,550 with them on this thread, 1,800 with the interval and backstop below).

So a server process hands its checkpoints to a thread: `hand_off(db)` raises the threshold of
the loop's own connection to a backstop (`BACKSTOP_PAGES`, in case the thread falls behind or
stops), and the thread runs a PASSIVE checkpoint — which never waits for the writer; commits
keep appending while it copies — every `INTERVAL_S` seconds in which something was committed.
With `--durability normal` the WAL reaches the disk only at checkpoints, so this also bounds
what a power loss can cost to about that interval plus one checkpoint (docs/durability.md).
"""

from __future__ import annotations

from typing import NamedTuple

from taskyard.store.db import Database

# Measured with 8 clients reporting event batches: 1 s lets a checkpoint copy a page written
# many times once (4% more batches than at 0.25 s), and still bounds what a power loss costs.
INTERVAL_S = 1.0
# Under writes that never pause, a PASSIVE checkpoint never finds the WAL fully copied, so the
# WAL cannot start over and grows; at this size (256 MiB at 4 KiB pages) the loop's connection
# checkpoints the remainder itself and the WAL restarts. Smaller backstops cost throughput
# (16,384 pages: 10% fewer batches/s in sustained load), and so did cutting the file back
# after a restart (journal_size_limit), which made SQLite grow it again. SQLite deletes the
# WAL file when the server stops.
BACKSTOP_PAGES = 65536


class Checkpoint(NamedTuple):
    """What `PRAGMA wal_checkpoint` reports."""

    busy: bool  # another checkpoint (another process) held the lock; nothing was done
    wal_pages: int  # frames in the WAL when it started
    copied_pages: int  # of them, those now in the database file


def hand_off(db: Database) -> None:
    """Make the calling thread's connection leave checkpoints to `Checkpointer` (SQLite)."""
    with db.read() as tx:
        tx.query(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")


class Checkpointer:
    """Runs checkpoints of `url` on whichever single thread calls it (its own connection)."""

    def __init__(self, url: str, durability: str) -> None:
        self.db = Database(url, durability=durability)

    def run(self) -> Checkpoint:
        with self.db.read() as tx:
            row = tx.query_one("PRAGMA wal_checkpoint(PASSIVE)")
        assert row is not None
        return Checkpoint(bool(row[0]), int(row[1]), int(row[2]))

    def close(self) -> None:
        self.db.close()
