"""The state-machine table and checks (SEMANTICS §4.1)."""

from __future__ import annotations

import pytest

from taskyard.domain import states
from taskyard.errors import ApiError


def test_published_is_terminal_and_unknown_is_not_in_the_table() -> None:
    assert states.TRANSITIONS["published"] == frozenset()
    assert "unknown" not in states.TRANSITIONS


def test_every_status_is_reachable_from_created() -> None:
    assert states.reachable() == set(states.TRANSITIONS)


def test_same_state_is_allowed_unless_the_endpoint_refuses_it() -> None:
    states.check("completed", "completed", force=False)
    with pytest.raises(ApiError) as exc:
        states.check("published", "published", force=False, allow_same=False)
    assert (exc.value.code, exc.value.subcode) == (400, 110)


def test_force_skips_the_check() -> None:
    states.check("published", "created", force=True)
    states.check("unknown", "in_progress", force=True)


def test_unknown_status_without_force_is_500_1() -> None:
    with pytest.raises(ApiError) as exc:
        states.check("unknown", "in_progress", force=False)
    assert (exc.value.code, exc.value.subcode) == (500, 1)


def test_refusal_message_names_both_statuses() -> None:
    with pytest.raises(ApiError) as exc:
        states.check("created", "stopped", force=False)
    assert exc.value.message == (
        "Invalid task status (Invalid status change): current_status=created, new_status=stopped"
    )
