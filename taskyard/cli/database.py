"""`taskyard db …`: schema migrations."""

from __future__ import annotations

from pathlib import Path

import click

from taskyard.cli.group import cli, database_options, open_database
from taskyard.store import migrations


@cli.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("upgrade")
@database_options
def upgrade(data_dir: Path, db: str) -> None:
    """Apply pending schema migrations."""
    database = open_database(data_dir, db, upgrade=False)
    names = migrations.upgrade(database, log=click.echo)
    click.echo(f"schema up to date ({len(names)} migration(s) applied)")
