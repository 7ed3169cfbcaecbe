"""Named, recorded, atomic schema migrations shared by both backends.

Each module `mNNNN_<name>.py` in this package defines `steps(dialect) -> list[str]`. A migration
runs in one transaction together with its row in `schema_migrations`, so it either happens
completely or not at all. A database that records a migration this code does not know is newer
than the code: the server refuses to start instead of guessing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from taskyard.store.db import Database, Dialect


@dataclass(frozen=True)
class Migration:
    name: str
    steps: Callable[[Dialect], list[str]]


class SchemaTooNew(Exception):
    pass


def all_migrations() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append(Migration(info.name[1:], module.steps))
    return sorted(found, key=lambda m: m.name)


def _ensure_table(db: Database) -> None:
    with db.write() as tx:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (name TEXT PRIMARY KEY, applied TEXT NOT NULL)"
        )


def applied(db: Database) -> list[str]:
    _ensure_table(db)
    with db.read() as tx:
        return [r[0] for r in tx.query("SELECT name FROM schema_migrations ORDER BY name")]


def pending(db: Database) -> list[Migration]:
    done = set(applied(db))
    known = all_migrations()
    unknown = done - {m.name for m in known}
    if unknown:
        raise SchemaTooNew(
            f"the database schema is newer than this taskyard (unknown migrations: "
            f"{', '.join(sorted(unknown))}); upgrade taskyard"
        )
    return [m for m in known if m.name not in done]


def upgrade(db: Database, log: Callable[[str], None] | None = None) -> list[str]:
    """Apply every pending migration in order; return the names applied."""
    names = []
    for migration in pending(db):
        with db.write() as tx:
            # Another process may have applied it between our check and our lock.
            if tx.query_one("SELECT 1 FROM schema_migrations WHERE name = ?", (migration.name,)):
                continue
            for statement in migration.steps(db.dialect):
                tx.execute(statement)
            tx.execute(
                "INSERT INTO schema_migrations (name, applied) VALUES (?, ?)",
                (migration.name, datetime.now(UTC).isoformat()),
            )
        names.append(migration.name)
        if log:
            log(f"applied migration {migration.name}")
    return names
