"""`status_reason`, `status_message` and `last_changed_by` in columns of their own.

Every status change wrote these three into `doc`: SQLite parsed and re-serialized the task's
whole document for the json_set, and parsed it again, old and new, for the search index
trigger's condition. With them in columns (as `status`, `status_changed` and `last_change`
already were) a status change, a ping-like write or a stamp writes columns only.
"""

from taskyard.store.db import Dialect

FIELDS = ("status_reason", "status_message", "last_changed_by")


def steps(dialect: Dialect) -> list[str]:
    adds = [f"ALTER TABLE tasks ADD COLUMN {name} TEXT" for name in FIELDS]
    if dialect.is_postgres:
        moves = ", ".join(f"{name} = doc ->> '{name}'" for name in FIELDS)
        drops = " - ".join(f"'{name}'" for name in FIELDS)
        return [*adds, f"UPDATE tasks SET {moves}, doc = doc - {drops}"]
    moves = ", ".join(f"{name} = json_extract(doc, '$.{name}')" for name in FIELDS)
    drops = ", ".join(f"'$.{name}'" for name in FIELDS)
    return [*adds, f"UPDATE tasks SET {moves}, doc = json_remove(doc, {drops})"]
