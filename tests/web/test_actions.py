"""Task actions from the task page: each asks first, and refusals read as messages."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.support import ApiClient
from tests.web import seed
from tests.web.conftest import shot, unique


def new_task(api: ApiClient, status: str = "created", name: str = "action target") -> str:
    pid = seed.project(api, unique("actions"))
    tid = seed.task(api, pid, name, tags=["keep"])
    if status in ("in_progress", "completed"):
        # A task run from a developer's machine, as the SDK marks it.
        api.ok("tasks.edit", task=tid, system_tags=["development"], force=True)
        seed.start(api, tid)
    if status == "completed":
        api.ok("tasks.completed", task=tid)
    return tid


def act(page: Any, action: str, confirm: bool = True) -> None:
    page.click(f"#task-actions button[data-action={action}]")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    page.click("#dialog-confirm" if confirm else "#dialog-cancel")
    expect(dialog).to_have_count(0)


def status_of(api: ApiClient, tid: str) -> str:
    return str(api.ok("tasks.get_by_id", task=tid)["task"]["status"])


def test_cancel_leaves_the_task_alone(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "in_progress")
    page.goto(f"/tasks/{tid}")
    page.click("#task-actions button[data-action=stop]")
    expect(page.locator("#confirm-dialog")).to_contain_text("Stop")
    shot(page, "action_confirm")
    page.click("#dialog-cancel")
    expect(page.locator("#confirm-dialog")).to_have_count(0)
    assert status_of(api, tid) == "in_progress"


def test_stop(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "in_progress")
    page.goto(f"/tasks/{tid}")
    act(page, "stop")
    expect(page.locator("#task-status")).to_contain_text("stopped")
    assert status_of(api, tid) == "stopped"


def test_mark_completed_then_publish(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "in_progress")
    page.goto(f"/tasks/{tid}")
    act(page, "completed")
    expect(page.locator("#task-status")).to_contain_text("completed")
    act(page, "publish")
    expect(page.locator("#task-status")).to_contain_text("published")
    assert status_of(api, tid) == "published"


def test_mark_failed(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "in_progress")
    page.goto(f"/tasks/{tid}")
    act(page, "failed")
    expect(page.locator("#task-status")).to_contain_text("failed")


def test_reset(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "completed")
    page.goto(f"/tasks/{tid}")
    act(page, "reset")
    expect(page.locator("#task-status")).to_contain_text("created")
    assert status_of(api, tid) == "created"


def test_refusal_by_the_state_machine_is_shown(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "created")
    page.goto(f"/tasks/{tid}")
    act(page, "publish")  # a draft cannot be published
    flash = page.locator(".flash-error")
    expect(flash).to_contain_text("Cannot publish")
    expect(flash).to_contain_text(re.compile("invalid task status", re.I))
    shot(page, "action_refused")
    assert status_of(api, tid) == "created"


def test_archive_hides_the_task_from_the_table(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "created", name="to archive")
    project = api.ok("tasks.get_by_id", task=tid)["task"]["project"]
    page.goto(f"/tasks/{tid}")
    act(page, "archive")
    expect(page.locator("#task-status")).to_contain_text("archived")
    page.goto(f"/projects/{project}")
    expect(page.locator(".table-status")).to_contain_text("No tasks")
    page.check("#filter-archived")
    expect(page.locator("#tasks-table tbody a.task-link")).to_have_text(["to archive"])


def test_delete_goes_back_to_the_project(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "created", name="to delete")
    project = api.ok("tasks.get_by_id", task=tid)["task"]["project"]
    page.goto(f"/tasks/{tid}")
    act(page, "delete")
    page.wait_for_url(f"**/projects/{project}")
    expect(page.locator(".flash-ok")).to_contain_text("deleted")
    assert api.call("tasks.get_by_id", task=tid).code == (400, 101)


def test_clone_opens_the_new_task(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "completed", name="original")
    page.goto(f"/tasks/{tid}")
    page.click("#task-actions button[data-action=clone]")
    page.fill("#dlg-new_task_name", "the copy")
    page.click("#dialog-confirm")
    expect(page.locator("#task-name")).to_have_text("the copy")
    expect(page.locator("#task-status")).to_contain_text("created")
    assert tid not in page.url


def test_edit_name_tags_and_comment(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "created", name="before edit")
    page.goto(f"/tasks/{tid}")
    page.click("#task-actions button[data-action=edit]")
    page.fill("#dlg-name", "after edit")
    page.fill("#dlg-tags", "one, two")
    page.fill("#dlg-comment", "edited from the browser")
    shot(page, "action_edit")
    page.click("#dialog-confirm")
    expect(page.locator("#task-name")).to_have_text("after edit")
    task = api.ok("tasks.get_by_id", task=tid)["task"]
    assert sorted(task["tags"]) == ["one", "two"]
    assert task["comment"] == "edited from the browser"
    expect(page.locator("#tab-body")).to_contain_text("edited from the browser")


def test_edit_of_a_finished_task_is_refused_unless_forced(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    tid = new_task(api, "completed", name="finished")
    page.goto(f"/tasks/{tid}")
    page.click("#task-actions button[data-action=edit]")
    page.fill("#dlg-name", "renamed")
    page.click("#dialog-confirm")
    expect(page.locator(".flash-error")).to_contain_text(re.compile("invalid task status", re.I))
    page.click("#task-actions button[data-action=edit]")
    page.fill("#dlg-name", "renamed")
    page.check("#dlg-force")
    page.click("#dialog-confirm")
    expect(page.locator("#task-name")).to_have_text("renamed")
