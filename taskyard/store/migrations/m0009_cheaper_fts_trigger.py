"""The search index's update trigger parses each version of a task's document once.

Its condition compared four document paths one by one, so every write of `doc` (a status
change, an events batch) parsed the old and the new document four times each before finding
that no indexed text changed. It now compares the four in one json_extract per side
(store/search.py). PostgreSQL keeps its search vector in a generated column and has no trigger.
"""

from taskyard.store import search
from taskyard.store.db import Dialect


def steps(dialect: Dialect) -> list[str]:
    if dialect.is_postgres:
        return []
    return ["DROP TRIGGER tasks_fts_update", search.sqlite_update_trigger()]
