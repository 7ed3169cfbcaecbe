"""Faster list queries on SQLite at a million tasks (bench/results/query-engine.md).

* `tasks_listing` replaces `tasks_company_project_last_update` with the same leading columns
  plus the columns list filters read (status, name, system tags, tags): a project page is then
  filtered inside the index, and only the rows of the page are read from the table.
* `task_metrics` holds each task's last metric values (one row per metric/variant), kept by
  triggers; ordering a project by a metric reads it instead of parsing every task's document.
* The search-index update trigger now fires only when an indexed text changes (an events batch
  rewrites `doc` with new last_metrics many times a minute).

PostgreSQL needs none of this (jsonb values are read without parsing text).
"""

from taskyard.store import search
from taskyard.store.db import Dialect

_METRIC_ROWS = (
    "SELECT {row}.rowid, m.key, v.key, json_extract(v.value, '$.value')"
    " FROM {source}json_each({row}.doc, '$.last_metrics') m, json_each(m.value) v"
    " WHERE m.type = 'object' AND v.type = 'object'"
)


def steps(dialect: Dialect) -> list[str]:
    if dialect.is_postgres:
        return []
    new_rows = _METRIC_ROWS.format(row="new", source="")
    changed = (
        "json_extract(old.doc, '$.last_metrics') IS NOT json_extract(new.doc, '$.last_metrics')"
    )
    return [
        "CREATE INDEX tasks_listing ON tasks"
        " (company, project, last_update, status, name, system_tags, tags)",
        "DROP INDEX tasks_company_project_last_update",
        """CREATE TABLE task_metrics (
            task_rowid INTEGER NOT NULL,
            metric TEXT NOT NULL,
            variant TEXT NOT NULL,
            value,
            PRIMARY KEY (task_rowid, metric, variant)
        ) WITHOUT ROWID""",
        f"""CREATE TRIGGER task_metrics_insert AFTER INSERT ON tasks BEGIN
            INSERT INTO task_metrics {new_rows};
        END""",
        f"""CREATE TRIGGER task_metrics_update AFTER UPDATE OF doc ON tasks
            WHEN {changed}
        BEGIN
            DELETE FROM task_metrics WHERE task_rowid = old.rowid;
            INSERT INTO task_metrics {new_rows};
        END""",
        """CREATE TRIGGER task_metrics_delete AFTER DELETE ON tasks BEGIN
            DELETE FROM task_metrics WHERE task_rowid = old.rowid;
        END""",
        f"INSERT INTO task_metrics {_METRIC_ROWS.format(row='tasks', source='tasks, ')}",
        "DROP TRIGGER tasks_fts_update",
        search.sqlite_update_trigger(),
        # Statistics tell the planner that `company` alone is not selective: a natural-order
        # page then scans by rowid instead of sorting a whole company through the new index.
        "ANALYZE tasks",
    ]
