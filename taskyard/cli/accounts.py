"""`taskyard credentials …` and `taskyard users …`, usable while the server runs."""

from __future__ import annotations

from pathlib import Path

import click

from taskyard.cli.group import cli, database_options, open_database
from taskyard.store import accounts


@cli.group("credentials")
def credentials() -> None:
    """Manage API credential pairs."""


@credentials.command("create")
@database_options
@click.option("--user", "user_name", default="admin", show_default=True, help="User name.")
@click.option("--label", default="", help="A note to recognise the pair by.")
def credentials_create(data_dir: Path, db: str, user_name: str, label: str) -> None:
    """Create a credential pair for a user; the secret is shown once."""
    database = open_database(data_dir, db)
    with database.write() as tx:
        row = tx.query_one(
            "SELECT id FROM users WHERE name = ? ORDER BY created LIMIT 1", (user_name,)
        )
        if row is None:
            raise click.ClickException(f"no user named {user_name!r}")
        key, secret = accounts.create_credentials(tx, row[0], label=label)
    click.echo(f"access_key: {key}")
    click.echo(f"secret_key: {secret}")


@credentials.command("list")
@database_options
def credentials_list(data_dir: Path, db: str) -> None:
    """List credential pairs (never their secrets)."""
    database = open_database(data_dir, db)
    with database.read() as tx:
        rows = accounts.list_credentials(tx)
    click.echo(f"{'ACCESS KEY':<22} {'USER':<12} {'STATUS':<8} {'CREATED':<33} LABEL")
    for c in rows:
        status = "revoked" if c.revoked else "active"
        click.echo(f"{c.access_key:<22} {c.user_name:<12} {status:<8} {c.created:<33} {c.label}")


@credentials.command("revoke")
@database_options
@click.argument("access_key")
def credentials_revoke(data_dir: Path, db: str, access_key: str) -> None:
    """Revoke a credential pair; it stops working at once, also for issued tokens."""
    database = open_database(data_dir, db)
    if not accounts.revoke_credentials(database, access_key):
        raise click.ClickException(f"no active credentials with access key {access_key}")
    click.echo(f"revoked {access_key}")


@cli.group("users")
def users() -> None:
    """Manage users."""


@users.command("create")
@database_options
@click.argument("name")
@click.option("--role", default="user", type=click.Choice(["user", "admin"]), show_default=True)
@click.option(
    "--company",
    "company_name",
    default="",
    help="Company name (new if unknown); default: the first company.",
)
def users_create(data_dir: Path, db: str, name: str, role: str, company_name: str) -> None:
    """Create a user and a first credential pair for it."""
    database = open_database(data_dir, db)
    with database.write() as tx:
        if company_name:
            row = tx.query_one("SELECT id FROM companies WHERE name = ?", (company_name,))
            company = row[0] if row else accounts.create_company(tx, company_name)
        else:
            row = tx.query_one("SELECT id FROM companies ORDER BY created LIMIT 1")
            company = (
                row[0] if row else accounts.create_company(tx, "taskyard", accounts.DEFAULT_COMPANY)
            )
        user_id = accounts.create_user(tx, company, name, role)
        key, secret = accounts.create_credentials(tx, user_id, label="first")
    click.echo(f"user: {name} ({user_id})")
    click.echo(f"access_key: {key}")
    click.echo(f"secret_key: {secret}")


@users.command("list")
@database_options
def users_list(data_dir: Path, db: str) -> None:
    """List users."""
    database = open_database(data_dir, db)
    with database.read() as tx:
        rows = accounts.list_users(tx)
    click.echo(f"{'ID':<34} {'NAME':<16} {'ROLE':<8} COMPANY")
    for user_id, name, role, company in rows:
        click.echo(f"{user_id:<34} {name:<16} {role:<8} {company}")
