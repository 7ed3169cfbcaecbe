"""The plans of the list queries users run most, on a table big enough for the planner to care."""

from __future__ import annotations

from taskyard.domain.query import TASK
from taskyard.domain.query.compiler import compile_query
from taskyard.store import query
from taskyard.store.db import Database
from taskyard.versions import Version

ROWS = 20_000

# One task in 50 is completed; a tag on one in 8; the other companies' tasks share the table.
_FILL = """
INSERT INTO tasks (id, company, status, last_update, tags, system_tags, doc, rev)
SELECT 'task' || n,
       CASE WHEN n - n / 4 * 4 = 0 THEN 'other' ELSE 'c' END,
       CASE WHEN n - n / 50 * 50 = 1 THEN 'completed' ELSE 'in_progress' END,
       '2026-01-01T00:00:00.' || substr('000000' || n, -6, 6) || '+00:00',
       {tags}, {empty}, {doc}, 0
FROM {numbers}
"""


def _fill(db: Database) -> None:
    with db.write() as tx:
        pg = tx.dialect.is_postgres
        json = "::jsonb" if pg else ""
        numbers = (
            f"generate_series(1, {ROWS}) AS n"
            if pg
            else f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s"
            f" WHERE n < {ROWS}) SELECT n FROM s)"
        )
        tags = f"CASE WHEN n - n / 8 * 8 = 1 THEN '[\"gpu\"]'{json} ELSE '[]'{json} END"
        tx.execute(
            _FILL.format(tags=tags, empty=f"'[]'{json}", doc=f"'{{}}'{json}", numbers=numbers)
        )
        tx.execute("ANALYZE tasks" if pg else "ANALYZE")


def _plan(db: Database, data: dict[str, object]) -> str:
    companies = ("c", "")
    version = Version(2, 23)
    compiled = compile_query(TASK, data, version, query.sql_dialect(db), companies)
    fields = query.column_page(query.TASKS, compiled, version)
    sql = query.build_select(compiled, db.dialect.is_postgres, fields)
    explain = "EXPLAIN" if db.dialect.is_postgres else "EXPLAIN QUERY PLAN"
    with db.read() as tx:
        rows = tx.query(f"{explain} {sql.text}", sql.params)
    return "\n".join(str(row[-1]) for row in rows)


def test_a_status_page_newest_first_walks_a_status_index(fresh_db: Database) -> None:
    """The SDK's and the web UI's list: completed tasks with a tag, newest first, 50 a page.
    Walking the company's newest-first index instead reads every other status's rows too
    (at a million tasks on PostgreSQL: 47 ms a page against 1.4 ms)."""
    _fill(fresh_db)
    plan = _plan(
        fresh_db,
        {
            "status": ["completed"],
            "tags": ["gpu"],
            "order_by": ["-last_update"],
            "page": 0,
            "page_size": 50,
            "only_fields": ["id", "name", "status"],
        },
    )
    wanted = "tasks_company_status_desc" if fresh_db.dialect.is_postgres else "tasks_company_status"
    assert wanted in plan, plan
