"""Tasks, projects and models.

Columns hold the fields that queries filter and sort on; `doc` holds the rest of the document
(embedded objects such as execution, script, hyperparams, last_metrics) as JSON. Timestamps are
fixed-width ISO-8601 UTC text, so text order is time order on both backends. `rev` increments on
every read-modify-write so that a concurrent writer's change is never silently overwritten.
"""

from taskyard.store.db import Dialect


def steps(dialect: Dialect) -> list[str]:
    j = dialect.json_type
    return [
        f"""CREATE TABLE tasks (
            id TEXT PRIMARY KEY,
            company TEXT NOT NULL,
            user_id TEXT,
            name TEXT,
            type TEXT,
            status TEXT NOT NULL,
            project TEXT,
            parent TEXT,
            comment TEXT,
            created TEXT,
            started TEXT,
            completed TEXT,
            published TEXT,
            status_changed TEXT,
            last_update TEXT,
            last_change TEXT,
            last_iteration BIGINT,
            tags {j} NOT NULL,
            system_tags {j} NOT NULL,
            doc {j} NOT NULL,
            rev BIGINT NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX tasks_company_last_update ON tasks (company, last_update)",
        "CREATE INDEX tasks_company_project_last_update ON tasks (company, project, last_update)",
        "CREATE INDEX tasks_company_status ON tasks (company, status, last_update)",
        "CREATE INDEX tasks_parent ON tasks (parent)",
        "CREATE INDEX tasks_company_created ON tasks (company, created)",
        f"""CREATE TABLE projects (
            id TEXT PRIMARY KEY,
            company TEXT NOT NULL,
            user_id TEXT,
            name TEXT NOT NULL,
            parent TEXT,
            description TEXT,
            created TEXT,
            last_update TEXT,
            tags {j} NOT NULL,
            system_tags {j} NOT NULL,
            doc {j} NOT NULL,
            rev BIGINT NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX projects_company_name ON projects (company, name)",
        "CREATE INDEX projects_parent ON projects (parent)",
        f"""CREATE TABLE models (
            id TEXT PRIMARY KEY,
            company TEXT NOT NULL,
            user_id TEXT,
            name TEXT,
            project TEXT,
            task TEXT,
            ready BOOLEAN NOT NULL DEFAULT FALSE,
            uri TEXT,
            framework TEXT,
            created TEXT,
            last_update TEXT,
            tags {j} NOT NULL,
            system_tags {j} NOT NULL,
            doc {j} NOT NULL,
            rev BIGINT NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX models_company_project ON models (company, project, last_update)",
        "CREATE INDEX models_task ON models (task)",
        f"""CREATE TABLE tasks_trash (
            id TEXT PRIMARY KEY,
            company TEXT NOT NULL,
            deleted TEXT NOT NULL,
            doc {j} NOT NULL
        )""",
    ]
