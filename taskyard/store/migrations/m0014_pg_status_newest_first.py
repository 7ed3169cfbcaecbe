"""PostgreSQL: lists by status, newest first, from an index in that order.

`status=[…]` with `order_by: -last_update` asks `last_update DESC NULLS LAST`. A backward scan of
`tasks_company_status` gives NULLS FIRST, so the planner walked `tasks_company_last_update_desc`
and filtered on status: at a million tasks a page of completed tasks with one tag read 52k rows
(47 ms); from this index it reads ~700 (1.4 ms, bench/results/2026-12-06-e.md). SQLite needs
none (m0007: descending there puts NULLs last).
"""

from taskyard.store.db import Dialect


def steps(dialect: Dialect) -> list[str]:
    if not dialect.is_postgres:
        return []
    return [
        "CREATE INDEX tasks_company_status_desc"
        " ON tasks (company, status, last_update DESC NULLS LAST)",
    ]
