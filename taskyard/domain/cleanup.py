"""What `reset` and `delete` do to a task's children and models (SEMANTICS §4.3), as a plan.

The plan is decided here from plain facts read by the store; the service applies it. Unless
forced, a published child or a ready model stops the operation (400/123).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from taskyard import errors
from taskyard.domain import states

ModelFact = tuple[str, bool, str]  # (id, ready, uri)


@dataclass
class Plan:
    children: list[str] = field(default_factory=list)  # re-parented to __DELETED__<id>
    delete_models: list[str] = field(default_factory=list)  # drafts: deleted
    detach_models: list[str] = field(default_factory=list)  # ready: task → __DELETED__<id>
    model_urls: list[str] = field(default_factory=list)  # uris of the deleted drafts


def plan(
    task_id: str,
    children: list[tuple[str, str]],
    task_models: list[ModelFact],
    output_model: ModelFact | None,
    force: bool,
) -> Plan:
    """The cleanup for one task; raises 400/123 when a guard refuses it."""
    if not force:
        published = [cid for cid, status in children if status == states.PUBLISHED]
        if published:
            raise errors.task_cannot_be_deleted(
                "has children, use force=True", task=task_id, children=published
            )
        ready_models = [m for m in task_models if m[1]]
        if ready_models:
            raise errors.task_cannot_be_deleted(
                "has output models, use force=True", task=task_id, models=len(ready_models)
            )
        if output_model is not None and output_model[1]:
            raise errors.task_cannot_be_deleted(
                "has output model, use force=True", task=task_id, model=output_model[0]
            )
    out = Plan(children=[cid for cid, _ in children])
    seen: set[str] = set()
    for model_id, ready, uri in [*task_models, *([output_model] if output_model else [])]:
        if model_id in seen:
            continue
        seen.add(model_id)
        if ready:
            out.detach_models.append(model_id)
        else:
            out.delete_models.append(model_id)
            if uri:
                out.model_urls.append(uri)
    return out
