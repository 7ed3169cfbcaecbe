"""The root command group and the options shared by commands that open the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from taskyard import __version__
from taskyard.config import Settings
from taskyard.store import migrations
from taskyard.store.db import Database

F = TypeVar("F", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="taskyard")
def cli() -> None:
    """taskyard: an experiment-tracking server that speaks the ClearML API."""


def database_options(func: F) -> F:
    func = click.option(
        "--db",
        envvar="TASKYARD_DB",
        default="",
        show_default="SQLite in the data dir",
        help="Database URL: sqlite:///PATH or postgresql://user@host/db.",
    )(func)
    func = click.option(
        "--data-dir",
        envvar="TASKYARD_DATA_DIR",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("taskyard-data"),
        show_default=True,
        help="Directory for the SQLite database, uploaded files and secrets.",
    )(func)
    return func


def open_database(data_dir: Path, db: str, upgrade: bool = True) -> Database:
    """Open the configured database, applying pending migrations (one-line error if too new)."""
    try:
        database = Database(Settings(data_dir=data_dir, db=db).db_url)
        if upgrade:
            migrations.upgrade(database)
        else:
            migrations.pending(database)
    except migrations.SchemaTooNew as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # connection refused, bad path, …: one line, not a traceback
        raise click.ClickException(f"cannot open database: {exc}") from None
    return database
