"""store/accounts.py setting: one value per key, even when processes create it at once."""

from __future__ import annotations

import threading

import psycopg
import pytest

from taskyard.store import accounts
from taskyard.store.db import Database


def test_a_setting_is_made_once_and_then_kept(fresh_db: Database) -> None:
    first = accounts.setting(fresh_db, "token_secret", "one")
    assert accounts.setting(fresh_db, "token_secret", "two") == first == "one"


def test_a_process_that_loses_the_race_reads_the_winners_value(
    fresh_db: Database, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite's BEGIN IMMEDIATE already lets one writer in at a time")
    # Another process has inserted the setting but not committed yet: our insert waits on it.
    other = psycopg.connect(fresh_db.url)
    other.execute("INSERT INTO settings (key, value) VALUES ('token_secret', 'theirs')")
    got: list[str] = []

    def start_up() -> None:
        try:
            got.append(accounts.setting(fresh_db, "token_secret", "ours"))
        finally:
            fresh_db.close()  # this thread's connection

    ours = threading.Thread(target=start_up)
    ours.start()
    ours.join(timeout=1)
    assert ours.is_alive()  # waiting for the other transaction, not failed
    other.commit()
    other.close()
    ours.join(timeout=10)
    assert got == ["theirs"]
