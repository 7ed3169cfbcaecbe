"""Companies, users, credentials and server settings (the token secret)."""

from taskyard.store.db import Dialect


def steps(dialect: Dialect) -> list[str]:
    return [
        "CREATE TABLE companies (id TEXT PRIMARY KEY, name TEXT NOT NULL, created TEXT NOT NULL)",
        """CREATE TABLE users (
            id TEXT PRIMARY KEY,
            company TEXT NOT NULL REFERENCES companies(id),
            name TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'user',
            created TEXT NOT NULL
        )""",
        """CREATE TABLE credentials (
            access_key TEXT PRIMARY KEY,
            secret_hash TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id),
            company TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            revoked TEXT
        )""",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ]
