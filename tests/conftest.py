"""Fixtures: every API test runs on SQLite and on PostgreSQL through a real HTTP server.

`backend` is parametrised over both; PostgreSQL runs are skipped (and the run's summary says
so in a visible line) when no server answers at TASKYARD_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/test). Each test gets its own company, so tests share a
server per backend and worker without seeing each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskyard.store import migrations
from taskyard.store.db import Database
from tests.support import ApiClient, LiveServer, doc_drift, new_account

PG_ADMIN_URL = os.environ.get("TASKYARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
_pg_skipped: list[str] = []


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


PG_AVAILABLE = _pg_available()


def make_pg_database() -> str:
    """A fresh, empty PostgreSQL database; returns its URL."""
    import psycopg

    name = f"taskyard_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rpartition("/")[2]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def backend_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'taskyard.db'}"}
    if PG_AVAILABLE:
        urls["postgres"] = make_pg_database()
    yield urls
    if "postgres" in urls:
        drop_pg_database(urls["postgres"])


def fresh_database_url(backend: str, tmp_path: Path) -> str:
    """A new empty database of the given backend (the caller drops PostgreSQL ones)."""
    if backend == "postgres":
        return make_pg_database()
    return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"


@pytest.fixture
def fresh_db(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A new database of this backend with every migration applied, for store-level tests."""
    url = fresh_database_url(backend, tmp_path)
    database = Database(url)
    migrations.upgrade(database)
    yield database
    database.close()
    if backend == "postgres":
        drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not PG_AVAILABLE:
        _pg_skipped.append(request.node.nodeid)
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    return str(request.param)


_servers: dict[str, LiveServer] = {}
_public_row_databases: list[str] = []  # PostgreSQL ones, dropped at the end
PUBLIC_ROW_URLS: set[str] = set()  # where tests may make rows public


def _public_rows_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of its own for tests that make rows public (company ""): public rows are
    visible to every company, so on the shared server they would leak into other tests."""
    if backend == "postgres":
        url = make_pg_database()
        _public_row_databases.append(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite-public') / 'taskyard.db'}"
    PUBLIC_ROW_URLS.add(url)
    return url


@pytest.fixture
def server(
    request: pytest.FixtureRequest,
    backend: str,
    backend_urls: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> LiveServer:
    """A live server for this backend, shared by the tests of one worker; tests marked
    `public_rows` share a second one."""
    public_rows = request.node.get_closest_marker("public_rows") is not None
    key = f"{backend}-public" if public_rows else backend
    if key not in _servers:
        url = _public_rows_url(backend, tmp_path_factory) if public_rows else backend_urls[backend]
        database = Database(url)
        migrations.upgrade(database)
        database.close()
        _servers[key] = LiveServer(url, str(tmp_path_factory.mktemp(f"data-{key}")))
    return _servers[key]


@pytest.fixture
def db(server: LiveServer) -> Iterator[Database]:
    """Direct access to the server's database, for checks in the store."""
    database = Database(server.settings.db_url)
    yield database
    database.close()


@pytest.fixture
def account(db: Database) -> Iterator[tuple[str, str, str, str]]:
    """A company of the test's own; after the test, its tasks' documents and columns agree."""
    created = new_account(db)
    yield created
    assert doc_drift(db, (created[0],)) == []


@pytest.fixture
def client(server: LiveServer, account: tuple[str, str, str, str]) -> Iterator[ApiClient]:
    """An API client in a company of its own, at version 2.23."""
    _, _, key, secret = account
    api = ApiClient(server.url, key, secret)
    yield api
    api.close()


@pytest.fixture
def other_client(server: LiveServer, db: Database) -> Iterator[ApiClient]:
    """A client of a second, unrelated company."""
    _, _, key, secret = new_account(db)
    api = ApiClient(server.url, key, secret)
    yield api
    api.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    for srv in _servers.values():
        srv.stop()
    for url in _public_row_databases:
        drop_pg_database(url)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not PG_AVAILABLE:
        terminalreporter.write_line(
            f"POSTGRESQL RUNS SKIPPED: no PostgreSQL at {PG_ADMIN_URL}; only SQLite was tested.",
            yellow=True,
            bold=True,
        )
