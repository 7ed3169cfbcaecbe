"""Cheaper scalar reports: two pieces of per-batch write work that nothing needed.

* `events_task_time` (task, type, timestamp, id) leaves scalar events out. It orders the reads
  that page through events by time — logs, plots, debug images; scalars are read by series
  (`events_series`: task, type, metric, variant, iter). Every scalar still cost an entry in it,
  and with a batch's scalars landing at each task's own place in the index, about two index
  pages per batch to write back at COMMIT: a quarter of a reporting batch's WAL frames. A
  time-ordered page of one task's scalars (rare: no client of ours asks for it) now sorts that
  task's scalars instead of walking the index.
* `task_metrics` (SQLite) is no longer rebuilt by a trigger on every `last_metrics` change.
  The trigger deleted and re-inserted every metric row of the task, parsing the whole column,
  for each batch; the store now writes the rows a batch changed (store/tasks.py,
  `update_fields`), and whole-document rewrites leave `last_metrics` alone.
"""

from taskyard.store.db import Dialect

# Reads that want this index repeat the condition word for word (store/events.py
# TIME_INDEXED): SQLite uses a partial index only for a query whose WHERE contains its terms.
_NOT_SCALAR = "type <> 'training_stats_scalar'"


def steps(dialect: Dialect) -> list[str]:
    index = [
        "DROP INDEX events_task_time",
        f"CREATE INDEX events_task_time ON events (task, type, timestamp, id) WHERE {_NOT_SCALAR}",
    ]
    if dialect.is_postgres:
        return index
    return [*index, "DROP TRIGGER task_metrics_update"]
