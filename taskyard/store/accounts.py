"""Companies, users and credential pairs. Secrets are stored only as salted SHA-256 hashes.

Secrets are generated with 256 bits of entropy, so a fast hash is enough: there is nothing to
brute-force, and login stays cheap.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import mmap
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

from taskyard.domain.clock import new_id, now
from taskyard.domain.identity import Identity
from taskyard.store.db import Database, Tx

DEFAULT_COMPANY = "default"


@dataclass(frozen=True)
class Credential:
    access_key: str
    user_id: str
    user_name: str
    company: str
    label: str
    created: str
    revoked: str | None


def hash_secret(secret: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256((salt + ":" + secret).encode()).hexdigest()
    return f"{salt}${digest}"


def verify_secret(secret: str, stored: str) -> bool:
    salt, _, _ = stored.partition("$")
    return hmac.compare_digest(hash_secret(secret, salt), stored)


def new_access_key() -> str:
    return secrets.token_hex(10).upper()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def create_company(tx: Tx, name: str, company_id: str | None = None) -> str:
    company_id = company_id or new_id()
    tx.execute(
        "INSERT INTO companies (id, name, created) VALUES (?, ?, ?)", (company_id, name, now())
    )
    return company_id


def create_user(
    tx: Tx, company: str, name: str, role: str = "user", user_id: str | None = None
) -> str:
    user_id = user_id or new_id()
    tx.execute(
        "INSERT INTO users (id, company, name, role, created) VALUES (?, ?, ?, ?, ?)",
        (user_id, company, name, role, now()),
    )
    return user_id


def create_credentials(
    tx: Tx, user_id: str, access_key: str | None = None, secret: str | None = None, label: str = ""
) -> tuple[str, str]:
    row = tx.query_one("SELECT company FROM users WHERE id = ?", (user_id,))
    if row is None:
        raise LookupError(f"no user {user_id}")
    access_key = access_key or new_access_key()
    secret = secret or new_secret()
    tx.execute(
        "INSERT INTO credentials (access_key, secret_hash, user_id, company, label, created)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (access_key, hash_secret(secret), user_id, row[0], label, now()),
    )
    return access_key, secret


def revoke_credentials(db: Database, access_key: str) -> bool:
    """Revoke a pair (False if there is no active one); every server sees it at its next call."""
    with db.write() as tx:
        revoked = (
            tx.execute(
                "UPDATE credentials SET revoked = ? WHERE access_key = ? AND revoked IS NULL",
                (now(), access_key),
            )
            == 1
        )
    if revoked:
        _note_revocation(db)  # after the commit: a server that sees it must see the revocation
    return revoked


# On SQLite every server process shares the database's host, so a revocation also bumps a
# counter in a small file beside the database, which servers map into memory: "nothing revoked
# since I last checked?" is then a memory read instead of a query (or a stat() system call) on
# every call. PostgreSQL servers may run on other hosts and query each time.
_COUNTER = struct.Struct("<Q")
_maps: dict[Path, mmap.mmap] = {}  # marker file -> its mapping, opened once per process
_marker_paths: dict[str, Path | None] = {}  # database URL -> marker file


def _marker(db: Database) -> Path | None:
    if db.url not in _marker_paths:  # computed once: a path operation per call shows up
        pg = db.dialect.is_postgres
        _marker_paths[db.url] = None if pg else db.path.with_name(db.path.name + ".revocations")
    return _marker_paths[db.url]


def _open_marker(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if os.fstat(fd).st_size < _COUNTER.size:
        os.ftruncate(fd, _COUNTER.size)  # zeros: nothing revoked yet
    return fd


def forget_checked_credentials(db: Database) -> None:
    """Make every server re-check credentials at their next call (e.g. after a restore)."""
    _note_revocation(db)


def _note_revocation(db: Database) -> None:
    marker = _marker(db)
    if marker is None:
        return
    fd = _open_marker(marker)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # revokers in several processes count every revocation
        (count,) = _COUNTER.unpack(os.pread(fd, _COUNTER.size, 0))
        os.pwrite(fd, _COUNTER.pack(count + 1), 0)
    finally:
        os.close(fd)


def revocations_seen(db: Database) -> int | None:
    """A number that grows with every revocation (SQLite), or None: ask the database."""
    marker = _marker(db)
    if marker is None:
        return None
    view = _maps.get(marker)
    if view is None:
        fd = _open_marker(marker)
        try:
            view = _maps[marker] = mmap.mmap(fd, _COUNTER.size, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
    count: int = _COUNTER.unpack_from(view, 0)[0]
    return count


def list_credentials(tx: Tx) -> list[Credential]:
    rows = tx.query(
        "SELECT c.access_key, c.user_id, u.name, c.company, c.label, c.created, c.revoked"
        " FROM credentials c JOIN users u ON u.id = c.user_id ORDER BY c.created"
    )
    return [Credential(*r) for r in rows]


def list_users(tx: Tx) -> list[tuple[str, str, str, str]]:
    """(id, name, role, company name) of every user."""
    return [
        (r[0], r[1], r[2], r[3])
        for r in tx.query(
            "SELECT u.id, u.name, u.role, c.name FROM users u JOIN companies c ON c.id = u.company"
            " ORDER BY u.created"
        )
    ]


def identity_for_key(tx: Tx, access_key: str, secret: str | None) -> Identity | None:
    """The identity of an active credential; with `secret`, only if it matches."""
    row = tx.query_one(
        "SELECT c.secret_hash, u.id, u.company, u.role, u.name, co.name FROM credentials c"
        " JOIN users u ON u.id = c.user_id JOIN companies co ON co.id = u.company"
        " WHERE c.access_key = ? AND c.revoked IS NULL",
        (access_key,),
    )
    if row is None:
        return None
    if secret is not None and not verify_secret(secret, row[0]):
        return None
    return Identity(row[1], row[2], row[3], row[4], row[5], access_key)


def credential_active(tx: Tx, access_key: str) -> bool:
    return (
        tx.query_one(
            "SELECT 1 FROM credentials WHERE access_key = ? AND revoked IS NULL", (access_key,)
        )
        is not None
    )


def setting(db: Database, key: str, make: str) -> str:
    """A server-wide setting, created once with `make` if missing (e.g. the token secret).

    Processes starting together on one PostgreSQL database may both find it missing: the
    insert that loses is a no-op, and both read the one value that won."""
    with db.write() as tx:
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (key, make),
        )
        row = tx.query_one("SELECT value FROM settings WHERE key = ?", (key,))
    assert row is not None
    return str(row[0])


def ensure_first_account(
    db: Database, access_key: str | None, secret: str | None
) -> tuple[str, str] | None:
    """On an empty database create the default company, an admin and one credential pair.

    Returns the new pair (shown once), or None if accounts already existed. When the
    environment fixes a pair that is not there yet, it is added to the admin user.
    """
    with db.write() as tx:
        if tx.query_one("SELECT 1 FROM users LIMIT 1") is None:
            create_company(tx, "taskyard", DEFAULT_COMPANY)
            user_id = create_user(tx, DEFAULT_COMPANY, "admin", "admin")
            return create_credentials(tx, user_id, access_key, secret, label="first")
        if (
            access_key
            and secret
            and tx.query_one("SELECT 1 FROM credentials WHERE access_key = ?", (access_key,))
            is None
        ):
            admin = tx.query_one(
                "SELECT id FROM users WHERE role = 'admin' ORDER BY created LIMIT 1"
            )
            if admin is not None:
                return create_credentials(tx, admin[0], access_key, secret, label="env")
    return None
