"""Events: logs, scalars, plots and debug images reported for tasks (and models).

One row per event. The columns hold what reads filter, group and sort on; `payload` holds the
rest of the event as the client sent it (msg, level, plot_str, url, key, …).

`ukey` makes scalar, plot and image events addressable: reporting the same
(task, type, metric, variant, iter) again replaces the earlier event, as with the reference
server. Log events have a NULL `ukey` and therefore never collide. The unique index doubles as
the index for per-series reads.
"""

from taskyard.store.db import Dialect


def steps(dialect: Dialect) -> list[str]:
    j = dialect.json_type
    pk = "BIGSERIAL PRIMARY KEY" if dialect.is_postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    real = "DOUBLE PRECISION" if dialect.is_postgres else "REAL"
    return [
        f"""CREATE TABLE events (
            id {pk},
            company TEXT NOT NULL,
            task TEXT NOT NULL,
            type TEXT NOT NULL,
            metric TEXT NOT NULL DEFAULT '',
            variant TEXT NOT NULL DEFAULT '',
            iter BIGINT NOT NULL DEFAULT 0,
            timestamp BIGINT NOT NULL,
            value {real},
            worker TEXT,
            url TEXT,
            ukey TEXT,
            payload {j} NOT NULL
        )""",
        "CREATE UNIQUE INDEX events_series ON events (task, type, metric, variant, iter, ukey)",
        "CREATE INDEX events_task_time ON events (task, type, timestamp, id)",
    ]
