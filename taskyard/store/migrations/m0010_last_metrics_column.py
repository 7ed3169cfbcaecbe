"""A task's `last_metrics` in a column of its own, out of `doc`.

Every events batch with scalars rewrote `last_metrics`, and with it the whole document: SQLite
parsed and re-serialized `doc` for the json_set, and twice more for each trigger's condition on
it (search index, task_metrics), so a batch cost more the larger the task (an SDK task's
document carries its installed packages, configuration and hyperparameters). The events UPDATE
now writes columns only (last_update, last_iteration, last_metrics), no trigger on `doc`
fires, and task_metrics is re-derived from the small column.
"""

from taskyard.store.db import Dialect

_METRIC_ROWS = (
    "SELECT new.rowid, m.key, v.key, json_extract(v.value, '$.value')"
    " FROM json_each(new.last_metrics) m, json_each(m.value) v"
    " WHERE m.type = 'object' AND v.type = 'object'"
)


def steps(dialect: Dialect) -> list[str]:
    if dialect.is_postgres:
        return [
            "ALTER TABLE tasks ADD COLUMN last_metrics JSONB",
            "UPDATE tasks SET last_metrics = doc -> 'last_metrics', doc = doc - 'last_metrics'"
            " WHERE doc -> 'last_metrics' IS NOT NULL",
        ]
    return [
        # The rows of task_metrics stay as they are: the values move, they do not change.
        "DROP TRIGGER task_metrics_insert",
        "DROP TRIGGER task_metrics_update",
        "ALTER TABLE tasks ADD COLUMN last_metrics TEXT",
        "UPDATE tasks SET last_metrics = json_extract(doc, '$.last_metrics'),"
        " doc = json_remove(doc, '$.last_metrics')"
        " WHERE json_type(doc, '$.last_metrics') IS NOT NULL",
        f"""CREATE TRIGGER task_metrics_insert AFTER INSERT ON tasks BEGIN
            INSERT INTO task_metrics {_METRIC_ROWS};
        END""",
        f"""CREATE TRIGGER task_metrics_update AFTER UPDATE OF last_metrics ON tasks
            WHEN old.last_metrics IS NOT new.last_metrics
        BEGIN
            DELETE FROM task_metrics WHERE task_rowid = old.rowid;
            INSERT INTO task_metrics {_METRIC_ROWS};
        END""",
    ]
