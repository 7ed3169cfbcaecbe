"""The tasks table: server-side filters, sorting (also by metric values), paging, columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import ApiClient
from tests.web import seed
from tests.web.conftest import shot, unique

NAMES = "#tasks-table tbody a.task-link"


@dataclass
class Table:
    project: str
    ids: dict[str, str]


@pytest.fixture(scope="module")
def table(api: ApiClient) -> Table:
    """alpha (completed, best, lr 0.1, loss 0.9), beta (testing, draft, lr 0.01, loss 0.3),
    gamma (running, gpu, lr 0.001, loss 0.5)."""
    pid = seed.project(api, unique("table"))
    ids = {}
    rows = [
        ("alpha", "training", ["best"], 0.1, 0.9, "searchable walrus"),
        ("beta", "testing", [], 0.01, 0.3, "plain"),
        ("gamma", "training", ["gpu"], 0.001, 0.5, "plain"),
    ]
    for name, type_, tags, lr, loss, comment in rows:
        tid = seed.task(
            api, pid, name, type=type_, tags=tags, comment=comment, params={"lr": lr, "batch": 32}
        )
        seed.scalars(api, tid, "loss", "total", [loss + 1.0, loss])
        ids[name] = tid
    seed.start(api, ids["alpha"])
    api.ok("tasks.completed", task=ids["alpha"])
    seed.start(api, ids["gamma"])
    return Table(pid, ids)


def names(page: Any) -> Any:
    return page.locator(NAMES)


def test_the_table_lists_the_project_tasks(logged_in: Any, table: Table) -> None:
    page = logged_in
    page.goto(f"/projects/{table.project}")
    expect(names(page)).to_have_count(3)
    expect(page.locator(f"tr[data-task='{table.ids['gamma']}'] .status")).to_have_text(
        "in progress"
    )
    shot(page, "tasks_table")


def test_filter_by_status(logged_in: Any, table: Table) -> None:
    page = logged_in
    page.goto(f"/projects/{table.project}")
    expect(names(page)).to_have_count(3)
    page.click("#filter-status summary")
    page.check("#filter-status input[value=completed]")
    expect(names(page)).to_have_text(["alpha"])
    assert "status=completed" in page.url
    shot(page, "tasks_filter_status")


def test_filter_by_type(logged_in: Any, table: Table) -> None:
    page = logged_in
    page.goto(f"/projects/{table.project}")
    page.click("#filter-type summary")
    page.check("#filter-type input[value=testing]")
    expect(names(page)).to_have_text(["beta"])


def test_filter_by_tag_name_and_search_text(logged_in: Any, table: Table) -> None:
    page = logged_in
    page.goto(f"/projects/{table.project}")
    page.fill("#filter-tags", "gpu")
    expect(names(page)).to_have_text(["gamma"])
    page.fill("#filter-tags", "")
    page.fill("#filter-name", "^be")
    expect(names(page)).to_have_text(["beta"])
    page.fill("#filter-name", "")
    page.fill("#filter-search", "walrus")
    expect(names(page)).to_have_text(["alpha"])
    shot(page, "tasks_filter_search")


def test_filter_by_user(logged_in: Any, table: Table) -> None:
    page = logged_in
    page.goto(f"/projects/{table.project}")
    expect(names(page)).to_have_count(3)
    page.click("#filter-user summary")
    page.locator("#filter-user input[type=checkbox]").first.check()
    expect(names(page)).to_have_count(3)  # one user made them all
    assert "user=" in page.url


def test_filters_survive_a_reload(logged_in: Any, table: Table) -> None:
    page = logged_in
    page.goto(f"/projects/{table.project}?status=in_progress")
    expect(names(page)).to_have_text(["gamma"])
    page.click("#filter-clear")
    expect(names(page)).to_have_count(3)


def test_sort_by_name_both_ways(logged_in: Any, table: Table) -> None:
    page = logged_in
    page.goto(f"/projects/{table.project}")
    page.click("th[data-col=name]")
    expect(names(page)).to_have_text(["alpha", "beta", "gamma"])
    page.click("th[data-col=name]")
    expect(names(page)).to_have_text(["gamma", "beta", "alpha"])


def test_sort_by_a_metric_column_from_the_chooser(logged_in: Any, table: Table) -> None:
    page = logged_in
    page.goto(f"/projects/{table.project}")
    expect(names(page)).to_have_count(3)
    page.click("#column-chooser summary")
    page.check("#chooser-metrics input[data-col='m:loss/total']")
    page.check("#chooser-hyperparams input[data-col='hp:Args/lr']")
    page.click("h1")  # close the chooser
    header = page.locator("th[data-col='m:loss/total']")
    expect(header).to_be_visible()
    header.click()  # metrics sort best-first: descending
    expect(names(page)).to_have_text(["alpha", "gamma", "beta"])
    cells = page.locator("#tasks-table tbody td[data-col='m:loss/total']")
    expect(cells).to_have_text(["0.9", "0.5", "0.3"])
    header.click()
    expect(names(page)).to_have_text(["beta", "gamma", "alpha"])
    expect(page.locator("#tasks-table tbody td[data-col='hp:Args/lr']")).to_have_text(
        ["0.01", "0.001", "0.1"]
    )
    shot(page, "tasks_sorted_by_metric")
    page.locator("th[data-col='hp:Args/lr']").click()
    expect(names(page)).to_have_text(["gamma", "beta", "alpha"])


def test_paging(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    pid = seed.project(api, unique("paging"))
    for i in range(30):
        seed.task(api, pid, f"task {i:02d}")
    page.goto(f"/projects/{pid}?size=25&sort=name")
    expect(names(page)).to_have_count(25)
    expect(names(page).first).to_have_text("task 00")
    page.click("#page-next")
    expect(names(page)).to_have_count(5)
    expect(names(page).first).to_have_text("task 25")
    expect(page.locator("#page-next")).to_be_disabled()
    page.click("#page-prev")
    expect(names(page)).to_have_count(25)


@pytest.mark.parametrize(
    "link",
    [
        "/projects/{p}/experiments/{t}/output/log",
        "/projects/{p}/tasks/{t}/output/log",
        "/projects/*/experiments/{t}",
        "/tasks/{t}",
    ],
)
def test_the_links_the_sdk_prints_open_the_task(logged_in: Any, table: Table, link: str) -> None:
    page = logged_in
    tid = table.ids["beta"]
    page.goto(link.format(p=table.project, t=tid))
    expect(page.locator("#task-name")).to_have_text("beta")
    if link.endswith("log"):
        expect(page.locator("button[data-tab=console]")).to_have_attribute("aria-selected", "true")
