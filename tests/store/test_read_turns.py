"""Reads on the event loop (SQLite): the reads of one loop turn share a snapshot, the next turn
sees what was committed meanwhile, and writes and off-loop reads are unaffected."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from taskyard.store.db import DEFER_COMMIT, Database
from tests.store.conftest import values

LoopFactory = Callable[[], asyncio.AbstractEventLoop]

# The server runs on uvloop; the order of callbacks is what the snapshot's end relies on.
LOOPS = pytest.mark.parametrize(
    "loop_factory", [asyncio.new_event_loop, uvloop.new_event_loop], ids=["asyncio", "uvloop"]
)


def run(loop_factory: LoopFactory, coro: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(coro)


def insert(db: Database, value: int) -> None:
    with db.write() as tx:
        tx.execute("INSERT INTO t VALUES (?)", (value,))


async def next_turn() -> None:
    await asyncio.sleep(0)


@LOOPS
def test_reads_of_one_turn_share_a_snapshot_and_the_next_turn_sees_new_commits(
    dbs: tuple[Database, Database], loop_factory: LoopFactory
) -> None:
    server, other = dbs

    async def main() -> list[list[int]]:
        first = values(server)
        insert(other, 1)  # committed by another connection within the turn
        same_turn = values(server)
        await next_turn()
        return [first, same_turn, values(server)]

    assert run(loop_factory, main()) == [[], [], [1]]


@LOOPS
def test_a_write_acknowledged_before_a_request_arrives_is_seen_by_it(
    dbs: tuple[Database, Database], loop_factory: LoopFactory
) -> None:
    """Another process commits and acknowledges, then the client sends its request: the request
    reaches this server through the loop's I/O, after the turn whose snapshot predates the ack."""
    server, other = dbs

    async def main() -> list[int]:
        accepted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        answered: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()

        async def on_client(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            accepted.set_result(None)
            await r.readline()
            answered.set_result(values(server))
            w.close()

        srv = await asyncio.start_server(on_client, "127.0.0.1", 0)
        _, writer = await asyncio.open_connection(*srv.sockets[0].getsockname()[:2])
        await accepted
        # one turn: the server reads (snapshot), another process commits, the client sends
        values(server)
        insert(other, 7)
        writer.write(b"get\n")
        result = await answered
        writer.close()
        srv.close()
        return result

    assert run(loop_factory, main()) == [7]


def test_a_write_after_reads_in_the_same_turn_commits(dbs: tuple[Database, Database]) -> None:
    server, other = dbs

    async def handler(value: int) -> None:
        token = DEFER_COMMIT.set(True)
        try:
            values(server)
            insert(server, value)
            assert values(server) == sorted([*before, value])  # its own write, not yet committed
        finally:
            DEFER_COMMIT.reset(token)
        await server.settle()

    before: list[int] = []

    async def main() -> None:
        values(server)
        insert(server, 1)  # an immediate write (outside a handler) in a turn that has read
        before.append(1)
        await handler(2)

    asyncio.run(main())
    assert values(other) == [1, 2]


def test_reads_off_the_loop_see_each_commit_at_once(dbs: tuple[Database, Database]) -> None:
    server, other = dbs
    assert values(server) == []
    insert(other, 3)
    assert values(server) == [3]


def test_closing_with_a_snapshot_open_is_clean(dbs: tuple[Database, Database]) -> None:
    server, other = dbs
    errors: list[dict[str, object]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: errors.append(ctx))
        values(server)
        server.close()
        await next_turn()  # the end of the turn finds nothing left to end

    asyncio.run(main())
    assert errors == []
    insert(other, 4)  # nothing of the closed connection holds the database
    assert values(other) == [4]
