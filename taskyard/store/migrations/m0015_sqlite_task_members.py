"""SQLite: a task row keeps the JSON text of its column-only fields, ready for `get_by_id`.

A get read `doc` and had SQLite build `,"status":"…","started":"…",…` from twelve columns
(store/entities.py, `Entity.get_text`): 2.9 of the read's 5.4 µs, and on the live server about
6% of a get. `members` is that text as a stored generated column: SQLite computes it whenever a
row is written (3 µs more per update; a trigger doing the same rewrote the row and cost 18) and
a get reads it as it is. SQLite cannot add a stored column to a table, so the table is rebuilt:
same columns, same rowids (tasks_fts and task_metrics refer to them), then its indexes and
triggers as they are at 0014. PostgreSQL keeps building the text in the read: its JSON quoting
function is not immutable, which a generated column needs.

The columns, indexes and task_metrics triggers are written out here (not taken from
store/entities.py) so that this step stays what it was when later code changes;
tests/store/test_migrations.py checks that the rebuilt table has the same indexes and triggers
and that what it stores is what the read would build.
"""

from taskyard.store import search
from taskyard.store.db import Dialect

# (column, how its value becomes JSON text), in the order the read spliced them
_MEMBERS = (
    ("status", "text"),
    ("started", "text"),
    ("completed", "text"),
    ("published", "text"),
    ("status_changed", "text"),
    ("last_update", "text"),
    ("last_change", "text"),
    ("last_iteration", "raw"),
    ("last_metrics", "raw"),
    ("status_reason", "text"),
    ("status_message", "text"),
    ("last_changed_by", "text"),
)

_COLUMNS = (
    "id TEXT PRIMARY KEY",
    "company TEXT NOT NULL",
    "user_id TEXT",
    "name TEXT",
    "type TEXT",
    "status TEXT NOT NULL",
    "project TEXT",
    "parent TEXT",
    "comment TEXT",
    "created TEXT",
    "started TEXT",
    "completed TEXT",
    "published TEXT",
    "status_changed TEXT",
    "last_update TEXT",
    "last_change TEXT",
    "last_iteration BIGINT",
    "tags TEXT NOT NULL",
    "system_tags TEXT NOT NULL",
    "doc TEXT NOT NULL",
    "rev BIGINT NOT NULL DEFAULT 0",
    "last_metrics TEXT",
    "status_reason TEXT",
    "status_message TEXT",
    "last_changed_by TEXT",
)

_INDEXES = (
    "CREATE INDEX tasks_company_created ON tasks (company, created)",
    "CREATE INDEX tasks_company_last_update ON tasks (company, last_update)",
    "CREATE INDEX tasks_company_status"
    " ON tasks (company, status, last_update, id, system_tags, tags)",
    "CREATE INDEX tasks_in_progress_last_update ON tasks (last_update)"
    " WHERE status = 'in_progress'",
    "CREATE INDEX tasks_listing"
    " ON tasks (company, project, last_update, status, name, system_tags, tags)",
    "CREATE INDEX tasks_parent ON tasks (parent)",
)


# The search index's triggers come from store/search.py, as in 0004 and 0009.
_METRICS_TRIGGERS = (
    "CREATE TRIGGER task_metrics_delete AFTER DELETE ON tasks BEGIN"
    " DELETE FROM task_metrics WHERE task_rowid = old.rowid; END",
    "CREATE TRIGGER task_metrics_insert AFTER INSERT ON tasks BEGIN"
    " INSERT INTO task_metrics SELECT new.rowid, m.key, v.key, json_extract(v.value, '$.value')"
    " FROM json_each(new.last_metrics) m, json_each(m.value) v"
    " WHERE m.type = 'object' AND v.type = 'object'; END",
)


def _members_sql() -> str:
    """`,"field":value` for each of `_MEMBERS` that is not NULL ('' when all are)."""
    parts = []
    for column, kind in _MEMBERS:
        value = f"json_quote({column})" if kind == "text" else column
        parts.append(f"CASE WHEN {column} IS NULL THEN '' ELSE ',\"{column}\":' || {value} END")
    return " || ".join(parts)


def steps(dialect: Dialect) -> list[str]:
    if dialect.is_postgres:
        return []
    names = ", ".join(c.split()[0] for c in _COLUMNS)
    columns = ", ".join(_COLUMNS)
    generated = f"members TEXT NOT NULL GENERATED ALWAYS AS ({_members_sql()}) STORED"
    return [
        f"CREATE TABLE tasks_rebuilt ({columns}, {generated})",
        f"INSERT INTO tasks_rebuilt (rowid, {names}) SELECT rowid, {names} FROM tasks",
        "DROP TABLE tasks",  # its indexes and triggers go with it (no trigger fires)
        "ALTER TABLE tasks_rebuilt RENAME TO tasks",
        *_INDEXES,
        *_METRICS_TRIGGERS,
        search.sqlite_insert_trigger(),
        search.sqlite_delete_trigger(),
        search.sqlite_update_trigger(),
    ]
