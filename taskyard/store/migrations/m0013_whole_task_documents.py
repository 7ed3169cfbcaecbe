"""Whole task documents: `tasks.doc` also holds the fields that have columns.

Until now a task's columns and its `doc` held disjoint fields, so every read of a task decoded
some twenty columns and rebuilt the document in Python: about half the work of a
`tasks.get_by_id`. From here on `doc` also holds the fields that only whole-document writes
and the rare field edits change (id, company, user, name, type, project, parent, comment,
created, tags, system_tags): their columns are copies that every writer sets together with
`doc` (store/entities.py, `Entity.assignments`). What status changes, events batches and
heartbeats rewrite (status and its texts and times, last_update, last_iteration,
last_metrics) stays column-only, so those writes still never touch `doc`. A NULL column is
an absent field, as before; an empty JSON column is an empty list in `doc` as well.

The field list is written out here (not taken from store/entities.py) so that this step stays
what it was when later code changes.
"""

from taskyard.store.db import Dialect

# The columns `doc` now holds a copy of: text ones and JSON arrays
_TEXT = ("id", "company", "user_id", "name", "type", "project", "parent", "comment", "created")
_JSON = ("tags", "system_tags")


def _field(column: str) -> str:
    return "user" if column == "user_id" else column


def steps(dialect: Dialect) -> list[str]:
    if dialect.is_postgres:
        pairs = [f"'{_field(c)}', {c}" for c in (*_TEXT, *_JSON)]
        # jsonb_strip_nulls: a NULL column stays an absent field (values are scalars or arrays
        # of strings, which it leaves alone)
        copies = f"jsonb_strip_nulls(jsonb_build_object({', '.join(pairs)}))"
        return [f"UPDATE tasks SET doc = doc || {copies}"]
    pairs = [f"'{_field(c)}', {c}" for c in _TEXT] + [f"'{c}', json({c})" for c in _JSON]
    # json_patch drops the keys whose patch value is null: a NULL column stays absent
    return [f"UPDATE tasks SET doc = json_patch(doc, json_object({', '.join(pairs)}))"]
