"""Models in the store: new documents, metadata and the link to the creating task.

A task lists its output models in `models.output` as `{name, model}` entries (the form the
tasks service stores); registering a model for a task adds or replaces the entry of that name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from taskyard.domain import clock
from taskyard.store.db import Tx
from taskyard.store.entities import MODELS, TASKS
from taskyard.versions import Version

METADATA_KEYS = ("key", "type", "value")
METADATA_MAP_FROM = Version(2, 20)  # the SDK's 2.13 models read metadata as a list


def new_document(company: str, user: str, fields: dict[str, Any]) -> dict[str, Any]:
    now = clock.now()
    doc: dict[str, Any] = {
        "id": clock.new_id(),
        "company": company,
        "user": user,
        "created": now,
        "last_update": now,
        "ready": False,
        "tags": [],
        "system_tags": [],
        "comment": "",
        "labels": {},
        "design": {},
        "metadata": {},
    }
    doc.update({k: v for k, v in fields.items() if v is not None})
    return doc


def metadata_items(items: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Request metadata (a list of {key, type, value}) → the stored map keyed by `key`."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key = str(item.get("key") or "")
        if key:
            out[key] = {k: item[k] for k in METADATA_KEYS if item.get(k) is not None}
    return out


def for_version(doc: dict[str, Any], version: Version) -> dict[str, Any]:
    """A stored model as a client of `version` reads it: before 2.20 `metadata` is a list."""
    metadata = doc.get("metadata")
    if version < METADATA_MAP_FROM and isinstance(metadata, dict):
        doc = {**doc, "metadata": list(metadata.values())}
    return doc


def get(tx: Tx, model_id: str, companies: Sequence[str]) -> tuple[dict[str, Any], int] | None:
    return MODELS.get(tx, [model_id], companies).get(model_id)


def link_output(
    tx: Tx, task_id: str, company: str, model_id: str, name: str, iteration: int | None = None
) -> bool:
    """Make `model_id` the task's output model `name`; False if the task is gone."""
    for _ in range(10):
        found = TASKS.get(tx, [task_id], (company,)).get(task_id)
        if found is None:
            return False
        doc, rev = found
        models = dict(doc.get("models") or {})
        outputs = [m for m in models.get("output") or [] if m.get("name") != name]
        outputs.append({"name": name, "model": model_id})
        models["output"] = outputs
        models.setdefault("input", [])
        doc["models"] = models
        if iteration is not None:
            doc["last_iteration"] = max(int(doc.get("last_iteration") or 0), iteration)
        doc["last_update"] = clock.now()
        if TASKS.save(tx, doc, rev):
            return True
    raise RuntimeError(f"task {task_id} kept changing while linking its output model")


def unlink_output(tx: Tx, task_id: str, company: str, model_id: str) -> None:
    """Drop `model_id` from the task's output models (the model is being deleted)."""
    for _ in range(10):
        found = TASKS.get(tx, [task_id], (company,)).get(task_id)
        if found is None:
            return
        doc, rev = found
        models = dict(doc.get("models") or {})
        outputs = models.get("output") or []
        kept = [m for m in outputs if m.get("model") != model_id]
        if len(kept) == len(outputs):
            return
        models["output"] = kept
        doc["models"] = models
        if TASKS.save(tx, doc, rev):
            return


def bump_task_iteration(tx: Tx, task_id: str, company: str, iteration: int) -> None:
    for _ in range(10):
        found = TASKS.get(tx, [task_id], (company,)).get(task_id)
        if found is None:
            return
        doc, rev = found
        if int(doc.get("last_iteration") or 0) >= iteration:
            return
        doc["last_iteration"] = iteration
        if TASKS.save(tx, doc, rev):
            return
