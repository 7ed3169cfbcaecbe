"""Full-text search over tasks (store/search.py) and indexes for the list queries' orderings."""

from taskyard.store import search
from taskyard.store.db import Dialect


def steps(dialect: Dialect) -> list[str]:
    if dialect.is_postgres:
        return [
            *search.pg_steps(),
            # PostgreSQL sorts NULLs first when descending; the queries ask NULLS LAST, which
            # only an index declared that way can deliver in order (SQLite needs none).
            "CREATE INDEX tasks_company_project_last_update_desc"
            " ON tasks (company, project, last_update DESC NULLS LAST)",
            "CREATE INDEX tasks_company_last_update_desc"
            " ON tasks (company, last_update DESC NULLS LAST)",
            "CREATE INDEX tasks_system_tags ON tasks USING GIN (system_tags)",
            "CREATE INDEX tasks_tags ON tasks USING GIN (tags)",
        ]
    return search.sqlite_steps()
