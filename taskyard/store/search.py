"""Full-text search over tasks (§7.5): SQLite FTS5, PostgreSQL tsvector.

SQLite: a contentless FTS5 table `tasks_fts` keyed by the tasks rowid, kept up to date by
triggers on `tasks` (so every writer maintains it without knowing about it). Columns and
weights follow the reference index: name, id, comment (+report) weigh 10; model ids/names 2;
script repository and entry point 1.

PostgreSQL: a GIN expression index over a weighted tsvector of the same fields; queries use the
identical expression, so no trigger or extra column is needed.

Terms are ORed, "phrases" match in order, -negated terms exclude; both engines stem English.
"""

from __future__ import annotations

from taskyard.domain.query.sql import Sql
from taskyard.domain.query.text import TextQuery
from taskyard.store.db import Dialect, Tx

FTS_TABLE = "tasks_fts"


# -- SQLite --------------------------------------------------------------------------------------


def _sqlite_values(row: str) -> str:
    """The indexed texts of a tasks row (`new` or `old` inside a trigger)."""
    models = (
        f"(SELECT group_concat(value, ' ') FROM json_tree({row}.doc, '$.models')"
        " WHERE type = 'text')"
    )
    return (
        f"coalesce({row}.name, ''), {row}.id,"
        f" coalesce({row}.comment, '') || ' ' || coalesce(json_extract({row}.doc, '$.report'), ''),"
        f" coalesce({models}, ''),"
        f" coalesce(json_extract({row}.doc, '$.script.repository'), '') || ' ' ||"
        f" coalesce(json_extract({row}.doc, '$.script.entry_point'), '')"
    )


_COLUMNS = "name, tid, comment, models, script"


def sqlite_insert_trigger() -> str:
    return f"""CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
            INSERT INTO {FTS_TABLE} (rowid, {_COLUMNS}) VALUES (new.rowid, {_sqlite_values("new")});
        END"""


def sqlite_delete_trigger() -> str:
    return f"""CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
            INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {_COLUMNS})
            VALUES ('delete', old.rowid, {_sqlite_values("old")});
        END"""


def sqlite_steps() -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({_COLUMNS}, content='',"
        " tokenize='porter unicode61')",
        sqlite_insert_trigger(),
        sqlite_delete_trigger(),
        # m0006 replaces this trigger with sqlite_update_trigger() (fires on text changes only)
        f"""CREATE TRIGGER tasks_fts_update AFTER UPDATE OF name, comment, doc ON tasks BEGIN
            INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {_COLUMNS})
            VALUES ('delete', old.rowid, {_sqlite_values("old")});
            INSERT INTO {FTS_TABLE} (rowid, {_COLUMNS}) VALUES (new.rowid, {_sqlite_values("new")});
        END""",
        f"INSERT INTO {FTS_TABLE} (rowid, {_COLUMNS}) SELECT rowid, {_sqlite_values('tasks')}"
        " FROM tasks",
    ]


# The document texts the index holds. One json_extract of all of them per side parses each
# version of `doc` once; a comparison per path parsed it once per path (a status change or an
# events batch rewrites `doc`, so this condition runs on every such write).
_INDEXED_PATHS = ", ".join(
    f"'{p}'" for p in ("$.report", "$.models", "$.script.repository", "$.script.entry_point")
)


def sqlite_update_trigger() -> str:
    """Re-index a task only when one of its indexed texts changed."""
    texts = [f"json_extract({row}.doc, {_INDEXED_PATHS})" for row in ("old", "new")]
    when = " OR ".join(
        ["old.name IS NOT new.name", "old.comment IS NOT new.comment", " IS NOT ".join(texts)]
    )
    return f"""CREATE TRIGGER tasks_fts_update AFTER UPDATE OF name, comment, doc ON tasks
        WHEN {when}
    BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {_COLUMNS})
        VALUES ('delete', old.rowid, {_sqlite_values("old")});
        INSERT INTO {FTS_TABLE} (rowid, {_COLUMNS}) VALUES (new.rowid, {_sqlite_values("new")});
    END"""


def rebuild(tx: Tx) -> None:
    """Re-index every task (after a VACUUM, which may renumber the rowids the index keys on)."""
    if tx.dialect.is_postgres:
        return
    tx.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('delete-all')")
    tx.execute(
        f"INSERT INTO {FTS_TABLE} (rowid, {_COLUMNS}) SELECT rowid, {_sqlite_values('tasks')}"
        " FROM tasks"
    )


def _fts5_term(words: tuple[str, ...]) -> str:
    return '"' + " ".join(words).replace('"', '""') + '"'


def fts5_query(query: TextQuery) -> str:
    positive = " OR ".join(_fts5_term(t) for t in query.terms)
    if not query.negated:
        return positive
    negative = " OR ".join(_fts5_term(t) for t in query.negated)
    return f"({positive}) NOT ({negative})"


# -- PostgreSQL ----------------------------------------------------------------------------------


def _pg_words(expr: str) -> str:
    # The PostgreSQL parser keeps URLs, paths and file names as single tokens; split on every
    # non-alphanumeric character instead, as the SQLite tokenizer does.
    return f"regexp_replace({expr}, '[^[:alnum:]]+', ' ', 'g')"


PG_TSVECTOR = (
    "(setweight(to_tsvector('english'::regconfig, "
    + _pg_words(
        "coalesce(tasks.name, '') || ' ' || tasks.id || ' ' || coalesce(tasks.comment, '')"
        " || ' ' || coalesce(tasks.doc #>> '{report}', '')"
    )
    + "), 'A')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(tasks.doc -> 'models', '{}'::jsonb)),"
    " 'B')"
    " || setweight(to_tsvector('english'::regconfig, "
    + _pg_words(
        "coalesce(tasks.doc #>> '{script,repository}', '') || ' ' ||"
        " coalesce(tasks.doc #>> '{script,entry_point}', '')"
    )
    + "), 'D'))"
)


# m0008: the vector above, stored (a generated column) and indexed.
PG_VECTOR_COLUMN = "search_vector"


def pg_steps() -> list[str]:
    index_expr = PG_TSVECTOR.replace("tasks.", "")
    return [f"CREATE INDEX tasks_search ON tasks USING GIN ({index_expr})"]


def _pg_tsquery(query: TextQuery) -> Sql:
    def group(terms: tuple[tuple[str, ...], ...]) -> Sql:
        parts = ["phraseto_tsquery('english'::regconfig, ?)"] * len(terms)
        return Sql("(" + " || ".join(parts) + ")", tuple(" ".join(t) for t in terms))

    positive = group(query.terms)
    if not query.negated:
        return positive
    negative = group(query.negated)
    return Sql(f"({positive.text} && !!{negative.text})", positive.params + negative.params)


# -- both ----------------------------------------------------------------------------------------


def match(dialect: Dialect, query: TextQuery, scored: bool) -> tuple[Sql, Sql, Sql]:
    """(join clause, WHERE condition, relevance expression; higher is better) for tasks."""
    none = Sql("")
    if dialect.is_postgres:
        tsq = _pg_tsquery(query)
        vector = f"tasks.{PG_VECTOR_COLUMN}"
        cond = Sql(f"{vector} @@ {tsq.text}", tsq.params)
        if not scored:
            return none, cond, none
        score = Sql(f"ts_rank('{{0.1, 0.2, 0.4, 1.0}}', {vector}, {tsq.text})", tsq.params)
        return none, cond, score
    if not scored:
        return (
            none,
            Sql(
                f"tasks.rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)",
                (fts5_query(query),),
            ),
            none,
        )
    join = Sql(
        f"JOIN (SELECT rowid AS fts_rowid, -bm25({FTS_TABLE}, 10.0, 10.0, 10.0, 2.0, 1.0)"
        f" AS fts_score FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?) fts"
        " ON fts.fts_rowid = tasks.rowid",
        (fts5_query(query),),
    )
    return join, Sql("1=1"), Sql("fts.fts_score")


def fallback(table: str, columns: tuple[str, ...], query: TextQuery) -> Sql:
    """Projects and models have no index: case-insensitive substring match of the terms."""
    parts: list[str] = []
    params: list[str] = []
    for term in query.terms:
        needle = "%" + " ".join(term) + "%"
        for column in columns:
            parts.append(f"lower({table}.{column}) LIKE ?")
            params.append(needle)
    cond = "(" + " OR ".join(parts) + ")"
    for term in query.negated:
        needle = "%" + " ".join(term) + "%"
        for column in columns:
            cond += f" AND coalesce(lower({table}.{column}), '') NOT LIKE ?"
            params.append(needle)
    return Sql(cond, tuple(params))
