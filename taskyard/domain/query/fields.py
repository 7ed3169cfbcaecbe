"""What can be filtered, sorted and projected for each entity, and where each field lives.

A field path (`name`, `script.repository`, `last_metrics.<m>.<v>.value`) resolves to a `Ref`:
a column for the column-backed fields of store/entities.py, a JSON path in `doc` otherwise.
The top-level segment must be a field of the entity (else 400/14); nested keys of object
fields are free-form, as the reference server allows.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from taskyard import errors
from taskyard.domain.query.sql import Ref

_HEX32 = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Reference:
    """A field that holds the id of another object (get_all_ex joins it)."""

    path: str  # field path in the document, e.g. "project" or "models.input.model"
    target: str  # tasks | projects | models | users | companies | queues


@dataclass(frozen=True)
class EntitySpec:
    object_name: str  # as in error messages: Task, Project, Model
    table: str
    # column-backed fields: name -> column; kind is text | datetime | int | bool | array |
    # object (a JSON object: its sub-paths are paths inside the column)
    columns: dict[str, tuple[str, str]]
    doc_fields: frozenset[str]  # top-level fields stored in the doc JSON
    list_fields: frozenset[str]  # list filters (include/exclude, operators)
    pattern_fields: frozenset[str]  # regex filters
    date_fields: frozenset[str]  # constraint-string filters (">=2024-01-01")
    range_fields: frozenset[str]  # [min, max] filters; a "x.*" entry covers a prefix
    equality_prefixes: frozenset[str] = frozenset()
    references: tuple[Reference, ...] = ()
    default_excluded: frozenset[str] = frozenset()
    numeric_prefixes: frozenset[str] = frozenset()  # numeric-aware ordering
    hidden_tag: bool = True  # search_hidden applies
    list_paths: dict[str, Ref] = field(default_factory=dict)  # list filters on doc arrays

    @property
    def all_fields(self) -> frozenset[str]:
        return frozenset(self.columns) | self.doc_fields

    def is_known(self, path: str) -> bool:
        return path.split(".", 1)[0] in self.all_fields

    def check_known(self, paths: list[str]) -> None:
        bad = [p for p in paths if not self.is_known(p)]
        if bad:
            raise errors.invalid_fields(fields=tuple(bad), object=self.object_name)

    def kind(self, path: str) -> str:
        if path in self.columns:
            return self.columns[path][1]
        return "json"

    def ref(self, path: str) -> Ref:
        """Where `path` lives (400/14 for an unknown top-level field)."""
        if path in self.list_paths:
            return self.list_paths[path]
        if path in self.columns:
            column, kind = self.columns[path]
            return Ref(self.table, column, array=kind == "array")
        self.check_known([path])
        parts = path.split(".")
        if parts[0] == "last_metrics":
            parts = [parts[0], *(metric_key(p) for p in parts[1:3]), *parts[3:]]
        if parts[0] in self.columns:
            column, kind = self.columns[parts[0]]
            if kind == "object":  # a JSON object in a column of its own: a path inside it
                return Ref(self.table, column, tuple(parts[1:]))
            # A sub-path of a scalar column-backed field has no value.
            return Ref(self.table, column, ("__none__",))
        return Ref(self.table, "doc", tuple(parts))

    def matches_prefix(self, path: str, names: frozenset[str]) -> bool:
        if path in names:
            return True
        return any(n.endswith(".*") and path.startswith(n[:-1]) for n in names)

    def is_numeric(self, path: str) -> bool:
        return any(path.startswith(p) for p in self.numeric_prefixes)


def metric_key(name: str) -> str:
    """last_metrics keys are md5 hex of the metric/variant names; accept either form."""
    if _HEX32.fullmatch(name):
        return name
    return hashlib.md5(name.encode()).hexdigest()


_TASK_DOC_FIELDS = frozenset(
    {
        "report",
        "active_duration",
        "input",
        "output",
        "execution",
        "script",
        "hyperparams",
        "configuration",
        "runtime",
        "models",
        "container",
        "last_worker",
        "last_worker_report",
        "unique_metrics",
        "company_origin",
        "enqueue_status",
    }
)

_COMMON_COLUMNS = {
    "id": ("id", "text"),
    "company": ("company", "text"),
    "user": ("user_id", "text"),
    "name": ("name", "text"),
    "created": ("created", "datetime"),
    "last_update": ("last_update", "datetime"),
    "tags": ("tags", "array"),
    "system_tags": ("system_tags", "array"),
}

TASK = EntitySpec(
    object_name="Task",
    table="tasks",
    columns={
        **_COMMON_COLUMNS,
        "type": ("type", "text"),
        "status": ("status", "text"),
        "project": ("project", "text"),
        "parent": ("parent", "text"),
        "comment": ("comment", "text"),
        "started": ("started", "datetime"),
        "completed": ("completed", "datetime"),
        "published": ("published", "datetime"),
        "status_changed": ("status_changed", "datetime"),
        "last_change": ("last_change", "datetime"),
        "last_iteration": ("last_iteration", "int"),
        "last_metrics": ("last_metrics", "object"),
        "status_reason": ("status_reason", "text"),
        "status_message": ("status_message", "text"),
        "last_changed_by": ("last_changed_by", "text"),
    },
    doc_fields=_TASK_DOC_FIELDS,
    list_fields=frozenset(
        {
            "id",
            "user",
            "project",
            "type",
            "status",
            "tags",
            "system_tags",
            "parent",
            "execution.queue",
            "models.input.model",
            "models.output.model",
        }
    ),
    pattern_fields=frozenset({"name", "comment", "report"}),
    date_fields=frozenset({"status_changed", "last_update", "last_change"}),
    range_fields=frozenset(
        {"created", "started", "completed", "active_duration", "last_iteration", "last_metrics.*"}
    ),
    equality_prefixes=frozenset({"runtime."}),
    references=(
        Reference("company", "companies"),
        Reference("user", "users"),
        Reference("project", "projects"),
        Reference("parent", "tasks"),
        Reference("execution.queue", "queues"),
        Reference("execution.model", "models"),
        Reference("output.model", "models"),
        Reference("models.input.model", "models"),
        Reference("models.output.model", "models"),
    ),
    default_excluded=frozenset({"unique_metrics", "company_origin", "enqueue_status"}),
    numeric_prefixes=frozenset({"hyperparams.", "execution.parameters.", "last_metrics."}),
    list_paths={
        "models.input.model": Ref("tasks", "doc", ("models", "input"), array=True, key="model"),
        "models.output.model": Ref("tasks", "doc", ("models", "output"), array=True, key="model"),
    },
)

PROJECT = EntitySpec(
    object_name="Project",
    table="projects",
    columns={
        **_COMMON_COLUMNS,
        "parent": ("parent", "text"),
        "description": ("description", "text"),
    },
    doc_fields=frozenset(
        {
            "basename",
            "default_output_destination",
            "stats",
            "sub_projects",
            "own_tasks",
            "own_models",
            "dataset_stats",
            "company_origin",
        }
    ),
    list_fields=frozenset({"id", "user", "tags", "system_tags", "parent"}),
    pattern_fields=frozenset({"name", "description", "basename"}),
    date_fields=frozenset({"last_update"}),
    range_fields=frozenset({"created"}),
    references=(Reference("company", "companies"), Reference("user", "users")),
)

MODEL = EntitySpec(
    object_name="Model",
    table="models",
    columns={
        **_COMMON_COLUMNS,
        "project": ("project", "text"),
        "task": ("task", "text"),
        "ready": ("ready", "bool"),
        "uri": ("uri", "text"),
        "framework": ("framework", "text"),
    },
    doc_fields=frozenset(
        {
            "comment",
            "parent",
            "design",
            "labels",
            "ui_cache",
            "metadata",
            "stats",
            "last_iteration",
            "last_metrics",
            "company_origin",
        }
    ),
    list_fields=frozenset(
        {"id", "user", "project", "task", "tags", "system_tags", "framework", "uri"}
    ),
    pattern_fields=frozenset({"name", "comment"}),
    date_fields=frozenset({"last_update"}),
    range_fields=frozenset({"created", "last_iteration"}),
    references=(
        Reference("company", "companies"),
        Reference("user", "users"),
        Reference("project", "projects"),
        Reference("task", "tasks"),
    ),
    numeric_prefixes=frozenset({"last_metrics."}),
    hidden_tag=False,
)
