"""Group commit on SQLite: writes of one event-loop turn share a COMMIT, each request waits
for it, and a failing write loses only its own changes."""

from __future__ import annotations

import asyncio

import pytest

from taskyard.store.db import DEFER_COMMIT, QUIET_TURNS_MAX, Database
from tests.store.conftest import values


async def request(db: Database, value: int, seen: dict[int, list[int]], observer: Database) -> None:
    """What the API does around a synchronous handler that inserts `value`."""
    token = DEFER_COMMIT.set(True)
    try:
        with db.write() as tx:
            tx.execute("INSERT INTO t VALUES (?)", (value,))
        seen[value] = values(observer)  # before the turn ends: not committed yet
    finally:
        DEFER_COMMIT.reset(token)
    await db.settle()


def test_concurrent_writes_share_one_commit_and_wait_for_it(dbs: tuple[Database, Database]) -> None:
    writer, observer = dbs
    seen: dict[int, list[int]] = {}

    async def main() -> list[int]:
        await asyncio.gather(*(request(writer, v, seen, observer) for v in range(5)))
        return values(observer)  # every request has settled: all durable

    assert asyncio.run(main()) == [0, 1, 2, 3, 4]
    assert all(rows == [] for rows in seen.values())  # nothing visible before the COMMIT


def test_a_failing_write_rolls_back_only_its_own_changes(dbs: tuple[Database, Database]) -> None:
    writer, observer = dbs

    async def failing() -> None:
        token = DEFER_COMMIT.set(True)
        try:
            with pytest.raises(ZeroDivisionError), writer.write() as tx:
                tx.execute("INSERT INTO t VALUES (99)")
                raise ZeroDivisionError
        finally:
            DEFER_COMMIT.reset(token)
        await writer.settle()

    async def main() -> None:
        await asyncio.gather(
            request(writer, 1, {}, observer), failing(), request(writer, 2, {}, observer)
        )

    asyncio.run(main())
    assert values(observer) == [1, 2]


def test_a_write_outside_a_handler_commits_at_once(dbs: tuple[Database, Database]) -> None:
    writer, observer = dbs
    with writer.write() as tx:
        tx.execute("INSERT INTO t VALUES (7)")
    assert values(observer) == [7]


def test_a_failing_nested_write_unwinds_only_itself(dbs: tuple[Database, Database]) -> None:
    """Savepoints share one name: the inner failure rolls back to the inner one, and the
    outer write and the group's other writes still commit."""
    writer, observer = dbs

    async def nested() -> None:
        token = DEFER_COMMIT.set(True)
        try:
            with writer.write() as outer:
                outer.execute("INSERT INTO t VALUES (10)")
                with pytest.raises(ZeroDivisionError), writer.write() as inner:
                    inner.execute("INSERT INTO t VALUES (11)")
                    raise ZeroDivisionError
                outer.execute("INSERT INTO t VALUES (12)")
        finally:
            DEFER_COMMIT.reset(token)
        await writer.settle()

    async def main() -> None:
        await asyncio.gather(request(writer, 1, {}, observer), nested())

    asyncio.run(main())
    assert values(observer) == [1, 10, 12]


def count_commits(db: Database) -> list[str]:
    """The COMMIT statements `db`'s connection runs from now on."""
    seen: list[str] = []
    db._connection().set_trace_callback(  # type: ignore[no-untyped-call]
        lambda sql: seen.append(sql) if sql == "COMMIT" else None
    )
    return seen


def test_a_write_of_the_next_turn_joins_the_open_commit(dbs: tuple[Database, Database]) -> None:
    """Clients whose requests arrive a turn apart still share one COMMIT."""
    writer, observer = dbs
    commits = count_commits(writer)

    async def main() -> None:
        first = asyncio.create_task(request(writer, 1, {}, observer))
        await asyncio.sleep(0)  # the first request has written; the next arrives a turn later
        second = asyncio.create_task(request(writer, 2, {}, observer))
        await asyncio.gather(first, second)

    asyncio.run(main())
    assert values(observer) == [1, 2]
    assert commits == ["COMMIT"]


def test_steady_writes_do_not_put_the_commit_off_for_ever(dbs: tuple[Database, Database]) -> None:
    """A new write every turn: the first request still answers within a few turns."""
    writer, observer = dbs
    commits = count_commits(writer)
    answered_after: list[int] = []

    async def main() -> None:
        turn = 0
        first = asyncio.create_task(request(writer, 0, {}, observer))
        first.add_done_callback(lambda _: answered_after.append(turn))
        others = []
        for turn in range(1, 20):  # noqa: B007 - read by the callback
            others.append(asyncio.create_task(request(writer, turn, {}, observer)))
            await asyncio.sleep(0)
        await asyncio.gather(first, *others)

    asyncio.run(main())
    assert values(observer) == list(range(20))
    # its write's turn, the turns the COMMIT is put off, the COMMIT's turn, its own wake-up
    assert answered_after and answered_after[0] <= 1 + QUIET_TURNS_MAX + 1 + 2
    assert len(commits) >= 20 // (QUIET_TURNS_MAX + 2)
