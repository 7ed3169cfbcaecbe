"""The durability setting: SQLite's synchronous mode, PostgreSQL's synchronous_commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from taskyard.cli.group import cli
from taskyard.config import Settings
from taskyard.store.db import Database
from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE


def _synchronous(db: Database) -> int:
    with db.read() as tx:
        row = tx.query_one("PRAGMA synchronous")
    assert row is not None
    return int(row[0])


def test_sqlite_defaults_to_normal_and_full_syncs_every_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    normal, full = Database(url), Database(url, durability="full")
    try:
        assert _synchronous(normal) == 1  # NORMAL
        assert _synchronous(full) == 2  # FULL
    finally:
        normal.close()
        full.close()


@pytest.mark.skipif(not PG_AVAILABLE, reason="needs PostgreSQL")
def test_postgres_full_durability_waits_for_the_flush() -> None:
    db = Database(PG_ADMIN_URL, durability="full")
    try:
        with db.read() as tx:
            assert tx.query_one("SHOW synchronous_commit") == ("on",)
    finally:
        db.close()


def test_the_setting_reaches_worker_processes_through_the_environment() -> None:
    settings = Settings(durability="full")
    assert Settings.from_env(settings.to_env()).durability == "full"
    assert Settings.from_env({}).durability == "normal"


def test_serve_offers_the_option() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert "--durability [normal|full]" in result.output
