"""The revocation counter that lets SQLite servers skip a credential query per call (a server
in another process seeing a CLI revocation at once: tests/cli/test_serve.py)."""

from __future__ import annotations

from pathlib import Path

from taskyard.store import accounts, migrations
from taskyard.store.db import Database
from tests.support import new_account


def test_every_revocation_and_restore_moves_the_counter(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    migrations.upgrade(db)
    _, _, key, _ = new_account(db)
    before = accounts.revocations_seen(db)
    assert before == 0
    assert accounts.revoke_credentials(db, key)
    assert accounts.revocations_seen(db) == 1
    assert not accounts.revoke_credentials(db, key)  # nothing revoked: the counter stays
    assert accounts.revocations_seen(db) == 1
    accounts.forget_checked_credentials(db)  # what a restore does
    assert accounts.revocations_seen(db) == 2
    db.close()
