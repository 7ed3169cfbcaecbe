"""The task status state machine (SEMANTICS §4.1) and the per-endpoint status rules (§4.2).

`TRANSITIONS` is the whole machine as one literal: from each status, the statuses a non-forced
change may go to. The HEAD extras (queued) only add targets, so they apply at every version.
A change to the same status is allowed unless an endpoint says otherwise; `force` skips the
check completely; a task in a status missing from the table (`unknown`) cannot change status
without `force` (500/1, as the reference server).
"""

from __future__ import annotations

from dataclasses import dataclass

from taskyard import errors

CREATED = "created"
QUEUED = "queued"
IN_PROGRESS = "in_progress"
STOPPED = "stopped"
CLOSED = "closed"
FAILED = "failed"
PUBLISHING = "publishing"
PUBLISHED = "published"
COMPLETED = "completed"
UNKNOWN = "unknown"

TRANSITIONS: dict[str, frozenset[str]] = {
    "created": frozenset({"in_progress", "queued"}),
    "queued": frozenset({"created", "in_progress", "stopped"}),
    "in_progress": frozenset({"stopped", "failed", "created", "completed"}),
    "stopped": frozenset(
        {
            "closed",
            "created",
            "failed",
            "in_progress",
            "published",
            "publishing",
            "completed",
            "queued",
        }
    ),
    "closed": frozenset({"created", "failed", "published", "publishing", "stopped"}),
    "failed": frozenset({"created", "stopped", "published", "queued"}),
    "publishing": frozenset({"published"}),
    "published": frozenset(),
    "completed": frozenset({"published", "in_progress", "created"}),
}

# Every status a task document may hold (the enum of `edit`'s `status` field).
ALL_STATUSES: tuple[str, ...] = (
    CREATED,
    QUEUED,
    IN_PROGRESS,
    STOPPED,
    PUBLISHED,
    PUBLISHING,
    CLOSED,
    FAILED,
    COMPLETED,
    UNKNOWN,
)


@dataclass(frozen=True)
class StatusRule:
    """What one status endpoint does (§4.2)."""

    target: str
    allow_same: bool = True
    # Timestamp columns set to now (seed-era / from 2.9 on).
    stamps: tuple[str, ...] = ()
    stamps_modern: tuple[str, ...] = ()
    # The request's status_message is replaced by this text (None: use the request's).
    message: str | None = None


RULES: dict[str, StatusRule] = {
    "started": StatusRule(IN_PROGRESS, stamps=("started",), stamps_modern=("started",)),
    "stopped": StatusRule(STOPPED, stamps=("completed",), stamps_modern=("completed",)),
    "failed": StatusRule(FAILED, stamps_modern=("completed",)),
    "close": StatusRule(CLOSED),
    "completed": StatusRule(COMPLETED, stamps=("completed",), stamps_modern=("completed",)),
    # publish: publishing first, then published; same-state is refused (§4.2).
    "publish": StatusRule(PUBLISHED, allow_same=False, stamps=("published",)),
    "reset": StatusRule(CREATED, message="reset"),
    "stop": StatusRule(STOPPED),
}


def can_change(current: str, target: str, allow_same: bool = True) -> bool:
    if current == target and allow_same:
        return True
    return target in TRANSITIONS.get(current, frozenset())


def check(current: str, target: str, force: bool, allow_same: bool = True) -> None:
    """Raise the reference error unless `current → target` is allowed (or forced)."""
    if force:
        return
    if current not in TRANSITIONS:
        raise errors.internal_error(f"Current status {current} not supported by state machine")
    if not can_change(current, target, allow_same):
        raise errors.invalid_task_status(
            "Invalid status change", current_status=current, new_status=target
        )


def reachable() -> set[str]:
    """Statuses reachable from `created` through non-forced transitions."""
    seen = {CREATED}
    todo = [CREATED]
    while todo:
        for nxt in TRANSITIONS.get(todo.pop(), frozenset()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
