"""Fixtures of the store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskyard.store.db import Database


@pytest.fixture
def dbs(tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """Two connections to one SQLite file with a table `t (v INTEGER)`: the server's, and
    another's (a second process; it sees only what is committed)."""
    url = f"sqlite:///{tmp_path / 't.db'}"
    server, other = Database(url), Database(url)
    with other.write() as tx:
        tx.execute("CREATE TABLE t (v INTEGER)")
    yield server, other
    server.close()
    other.close()


def values(db: Database) -> list[int]:
    """The values in `t` as `db` reads them, in order."""
    with db.read() as tx:
        return sorted(r[0] for r in tx.query("SELECT v FROM t"))
