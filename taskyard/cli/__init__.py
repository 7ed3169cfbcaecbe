"""The `taskyard` command line. Every option also reads `TASKYARD_<OPTION>`."""

from __future__ import annotations

import sys

import click

from taskyard.cli import accounts, admin, database, serve  # noqa: F401  (register commands)
from taskyard.cli.group import cli


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a bad option value exits with one line, never a traceback."""
    try:
        cli.main(args=argv, prog_name="taskyard", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"taskyard: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
