"""A small HTTP/1.1 keep-alive client on raw asyncio streams, and a bounded load loop.

httpx/aiohttp spend most of a core on their own bookkeeping (a few thousand req/s); this client
does the minimum: one pre-encoded header block per request, one ``readuntil`` for the response
head and one ``readexactly`` for the body. It only ever talks to loopback addresses.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

LOOPBACK = ("127.", "localhost", "::1")


def check_loopback(host: str) -> None:
    if not host.startswith(LOOPBACK):
        raise ValueError(f"bench only targets loopback addresses, not {host!r}")


class HttpError(Exception):
    pass


class Conn:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int):
        check_loopback(host)
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.host_header = f"{host}:{port}".encode()

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
            self.reader = None

    def build(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> bytes:
        head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self.host_header]
        for k, v in (headers or {}).items():
            head.append(f"{k}: {v}".encode())
        if body or method in ("POST", "PUT"):
            head.append(f"Content-Type: {content_type}".encode())
            head.append(b"Content-Length: " + str(len(body)).encode())
        return b"\r\n".join(head) + b"\r\n\r\n" + body

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """Send one pre-built request and read the whole response: (status, body)."""
        if self.writer is None:
            await self.open()
        assert self.writer is not None and self.reader is not None
        self.writer.write(raw)
        reader = self.reader
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = -1
        chunked = False
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                length = int(value)
            elif lname == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif lname == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size + 2))
            body = b"".join(p[:-2] for p in parts)
        elif length >= 0:
            body = await reader.readexactly(length) if length else b""
        else:
            body = await reader.read()
            close = True
        if close:
            self.close()
        return status, body

    async def request(
        self,
        method: str,
        path: str,
        payload: object | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, object]:
        """Convenience for set-up calls: JSON in, JSON out."""
        body = b"" if payload is None else json.dumps(payload).encode()
        status, raw = await self.send(self.build(method, path, body, headers=headers))
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --------------------------------------------------------------------------- load loop

# A request step: given a connection, perform one logical operation (one or more HTTP calls)
# and return True if it succeeded. Steps build their own request bytes.
Step = Callable[[Conn], Awaitable[bool]]


@dataclass
class RunResult:
    ops: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, successful ops only
    first_error: str = ""
    server_cpu_s: float = float("nan")  # CPU seconds the server's process tree used meanwhile

    @property
    def rps(self) -> float:
        return self.ops / self.elapsed if self.elapsed > 0 else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        k = min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
        return xs[k]


async def run_load(
    host: str,
    port: int,
    step: Step,
    concurrency: int,
    duration: float,
    max_requests: int,
    warmup: float = 0.0,
    grace: float = 30.0,
    on_start: Callable[[], None] | None = None,
) -> RunResult:
    """Closed-loop load: ``concurrency`` connections, each issuing ``step`` back to back.

    The measured window opens after ``warmup`` seconds and closes after ``duration`` seconds;
    an operation counts (throughput and latency) when it completes inside the window. A window
    in which fewer than ``concurrency`` operations completed (a very slow server) is extended
    until they have, by at most ``grace`` seconds. Bounded in time and count: no operation
    starts after the window closes or once ``max_requests`` have started in it; operations
    still running ``grace`` seconds after the close are cancelled. A step returning ``None``
    means "no more work" (a pool of fresh ids ran out) and stops that connection.
    """
    check_loopback(host)
    res = RunResult()
    started = 0
    measuring = False
    closed = False
    t_start = 0.0
    last_done = 0.0

    async def worker() -> None:
        nonlocal started, last_done
        conn = Conn(host, port)
        try:
            await conn.open()
            while not closed and started < max_requests:
                if measuring:
                    started += 1
                t0 = time.perf_counter()
                try:
                    ok = await step(conn)
                except (OSError, asyncio.IncompleteReadError, HttpError, ValueError) as e:
                    ok = False
                    if not res.first_error:
                        res.first_error = f"{type(e).__name__}: {e}"
                    conn.close()
                if ok is None:
                    return
                if measuring and not closed:
                    last_done = time.perf_counter()
                    if ok:
                        res.ops += 1
                        res.latencies.append(last_done - t0)
                    else:
                        res.errors += 1
                        if not res.first_error:
                            res.first_error = "operation failed"
        finally:
            conn.close()

    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    if warmup > 0:
        await asyncio.wait(tasks, timeout=warmup)
    if on_start is not None:
        on_start()
    t_start = time.perf_counter()
    measuring = True
    await asyncio.wait(tasks, timeout=duration)
    while (
        res.ops + res.errors < concurrency
        and time.perf_counter() < t_start + duration + grace
        and not all(t.done() for t in tasks)
    ):
        await asyncio.sleep(0.02)
    t_end = last_done if all(t.done() for t in tasks) else time.perf_counter()
    closed = True
    done, pending = await asyncio.wait(tasks, timeout=grace)
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending)
    for t in done:
        exc = t.exception()
        if exc is not None:
            res.errors += 1
            if not res.first_error:
                res.first_error = f"worker died: {type(exc).__name__}: {exc}"
    res.elapsed = max(t_end - t_start, 1e-9)
    return res
