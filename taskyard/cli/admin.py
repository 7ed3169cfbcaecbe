"""`taskyard db copy`, `taskyard backup` and `taskyard restore`: moving whole installations."""

from __future__ import annotations

from pathlib import Path

import click

from taskyard.cli.database import db_group
from taskyard.cli.group import cli, database_options
from taskyard.config import Settings
from taskyard.store import backup as backups
from taskyard.store import transfer


def _url(value: str) -> str:
    """A database URL; a plain path means a SQLite file."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).resolve()}"


@db_group.command("copy")
@click.option("--from", "source", required=True, help="Source database URL (or SQLite path).")
@click.option("--to", "target", required=True, help="Target database URL (or SQLite path).")
def db_copy(source: str, target: str) -> None:
    """Copy a whole installation into an empty database (e.g. SQLite to PostgreSQL).

    Stop the servers writing to the source first: the copy reads one consistent snapshot,
    and writes after it would not be carried over.
    """
    try:
        transfer.copy_database(_url(source), _url(target), log=click.echo)
    except transfer.TransferError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("backup")
@database_options
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "sqlite", "pg_dump"]),
    default="auto",
    show_default=True,
    help="auto: a SQLite file for SQLite; pg_dump's archive for PostgreSQL when installed.",
)
def backup_command(data_dir: Path, db: str, path: Path, fmt: str) -> None:
    """Write a consistent copy of the database to PATH, while the server keeps running."""
    url = Settings(data_dir=data_dir, db=db).db_url
    try:
        backups.backup(url, path, fmt, log=click.echo)
    except (backups.BackupError, transfer.TransferError) as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("restore")
@database_options
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the content of a database that has data.")
def restore_command(data_dir: Path, db: str, path: Path, force: bool) -> None:
    """Put a backup made by `taskyard backup` back (stop the server first)."""
    url = Settings(data_dir=data_dir, db=db).db_url
    try:
        backups.restore(url, path, force=force, log=click.echo)
    except (backups.BackupError, transfer.TransferError) as exc:
        raise click.ClickException(str(exc)) from None
