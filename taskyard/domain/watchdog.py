"""The non-responsive task rule.

A task that is `in_progress` but has not been heard from (`last_update`, refreshed by every write
and by `tasks.ping`) for longer than the timeout is presumed dead: its process crashed or lost
the network. It becomes `stopped` with a fixed reason, as a status change that nobody requested,
so that dashboards stop showing it as running. The change is forced (no state-machine check is
needed: in_progress → stopped is always allowed) but conditional on the status still being
`in_progress`, so a task that reports in at the last moment keeps running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from taskyard.domain.clock import to_wire

STATUS_FROM = "in_progress"
STATUS_TO = "stopped"
REASON = "Forced stop (non-responsive)"


@dataclass(frozen=True)
class WatchdogRule:
    timeout_s: float

    def cutoff(self, now: datetime) -> str:
        """Tasks whose `last_update` sorts before this timestamp text are non-responsive."""
        return to_wire(now - timedelta(seconds=self.timeout_s))

    def is_silent(self, status: str, last_update: str | None, now: datetime) -> bool:
        """The rule for one task (the store applies the same test in SQL)."""
        if status != STATUS_FROM:
            return False
        return last_update is None or last_update < self.cutoff(now)

    @staticmethod
    def stop_fields(now: datetime) -> dict[str, str]:
        """What the forced stop writes, as a status change with no request behind it."""
        stamp = to_wire(now)
        return {
            "status": STATUS_TO,
            "status_reason": REASON,
            "status_message": "",
            "status_changed": stamp,
            "last_update": stamp,
            "last_change": stamp,
        }
