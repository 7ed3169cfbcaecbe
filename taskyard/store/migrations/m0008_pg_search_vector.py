"""PostgreSQL: the search vector stored in a generated column, indexed by GIN.

With only an expression index, a phrase (`"cifar resnet"`) or a ranked search recomputes the
vector — two regexp_replace and three to_tsvector calls — for every candidate row: seconds at
a million tasks. Stored, the candidates' vectors are read, not rebuilt.
"""

from taskyard.store import search
from taskyard.store.db import Dialect


def steps(dialect: Dialect) -> list[str]:
    if not dialect.is_postgres:
        return []
    expr = search.PG_TSVECTOR.replace("tasks.", "")
    return [
        f"ALTER TABLE tasks ADD COLUMN {search.PG_VECTOR_COLUMN} tsvector"
        f" GENERATED ALWAYS AS ({expr}) STORED",
        f"CREATE INDEX tasks_search_vector ON tasks USING GIN ({search.PG_VECTOR_COLUMN})",
        "DROP INDEX tasks_search",
        "ANALYZE tasks",
    ]
