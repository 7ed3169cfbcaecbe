"""`taskyard serve`: migrate, make sure a first account exists, print how to connect, serve."""

from __future__ import annotations

import os
from pathlib import Path

import click

from taskyard.cli.group import cli, database_options, open_database
from taskyard.config import Settings
from taskyard.store import accounts


@cli.command()
@click.option(
    "--host",
    envvar="TASKYARD_HOST",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind.",
)
@click.option(
    "--port", envvar="TASKYARD_PORT", default=8008, show_default=True, type=click.IntRange(0, 65535)
)
@database_options
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes serving the port.",
)
@click.option(
    "--max-body-mb",
    default=64,
    show_default=True,
    type=click.IntRange(1, 4096),
    help="Largest request body accepted.",
)
@click.option(
    "--watchdog-timeout-s",
    default=7200,
    show_default=True,
    type=click.IntRange(1),
    help="In-progress tasks silent this long are stopped as non-responsive.",
)
@click.option(
    "--watchdog-interval-s",
    default=60,
    show_default=True,
    type=click.IntRange(1),
    help="How often the watchdog looks.",
)
@click.option(
    "--upgrade/--no-upgrade",
    default=True,
    show_default=True,
    help="Apply pending schema migrations on start.",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
@click.option(
    "--durability",
    default="normal",
    show_default=True,
    type=click.Choice(["normal", "full"]),
    help="full: sync every commit to disk (SQLite synchronous=FULL); see docs/durability.md.",
)
def serve(
    host: str,
    port: int,
    data_dir: Path,
    db: str,
    workers: int,
    max_body_mb: int,
    watchdog_timeout_s: int,
    watchdog_interval_s: int,
    upgrade: bool,
    log_level: str,
    durability: str,
) -> None:
    """Run the server (SQLite in the data dir unless --db is given)."""
    import uvicorn

    settings = Settings(
        host,
        port,
        data_dir,
        db,
        workers,
        max_body_mb,
        watchdog_timeout_s,
        watchdog_interval_s,
        upgrade,
        log_level,
        durability=durability,
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    database = open_database(data_dir, db, upgrade=upgrade)
    pair = accounts.ensure_first_account(
        database, os.environ.get("TASKYARD_ACCESS_KEY"), os.environ.get("TASKYARD_SECRET_KEY")
    )
    database.close()
    _banner(settings, pair)
    os.environ.update(settings.to_env())
    uvicorn.run(
        "taskyard.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
        server_header=False,
        date_header=False,
    )


def _banner(settings: Settings, pair: tuple[str, str] | None) -> None:
    url = settings.public_url
    click.echo(f"taskyard serving {url} (database: {_safe_url(settings.db_url)})")
    if pair is not None:
        click.echo("First credentials (the secret is shown only now; keep it):")
        access, secret = pair
    else:
        access, secret = "<your access key>", "<your secret key>"
    click.echo(f"  access key: {access}")
    click.echo(f"  secret key: {secret}")
    click.echo("Point the clearml SDK at this server:")
    click.echo(f"  export CLEARML_API_HOST={url}")
    click.echo(f"  export CLEARML_WEB_HOST={url}")
    click.echo(f"  export CLEARML_FILES_HOST={url}/files")
    click.echo(f"  export CLEARML_API_ACCESS_KEY={access}")
    click.echo(f"  export CLEARML_API_SECRET_KEY={secret}")
    click.echo(f"Web UI: {url}/", nl=True)


def _safe_url(url: str) -> str:
    """The database URL without a password."""
    if "@" in url and "://" in url:
        scheme, _, rest = url.partition("://")
        creds, _, host = rest.rpartition("@")
        return f"{scheme}://{creds.split(':')[0]}@{host}"
    return url
