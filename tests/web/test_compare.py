"""Comparing tasks: hyperparameter diff side by side and overlaid scalar charts."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.support import ApiClient
from tests.web import seed
from tests.web.conftest import shot, unique


def test_compare_two_tasks_from_the_table(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    pid = seed.project(api, unique("compare"))
    first = seed.task(api, pid, "small lr", params={"lr": 0.001, "batch": 64})
    second = seed.task(api, pid, "big lr", params={"lr": 0.1, "batch": 64})
    seed.task(api, pid, "not compared", params={"lr": 1})
    seed.scalars(api, first, "loss", "train", seed.decay(50))
    seed.scalars(api, second, "loss", "train", seed.decay(50, scale=2))

    page.goto(f"/projects/{pid}")
    expect(page.locator("#compare-selected")).to_be_disabled()
    page.check(f"tr[data-task='{first}'] input.row-select")
    expect(page.locator("#compare-selected")).to_be_disabled()  # one is not a comparison
    page.check(f"tr[data-task='{second}'] input.row-select")
    page.click("#compare-selected")

    params = page.locator("#compare-params")
    expect(params.locator("thead")).to_contain_text("small lr")
    expect(params.locator("thead")).to_contain_text("big lr")
    expect(params.locator("thead")).not_to_contain_text("not compared")
    lr = params.locator("tr[data-param='Args/lr']")
    expect(lr).to_have_class("diff")
    expect(lr).to_contain_text("0.001")
    expect(lr).to_contain_text("0.1")
    batch = params.locator("tr[data-param='Args/batch']")
    expect(batch).to_have_attribute("data-differs", "false")

    chart = page.locator("#compare-scalars .chart[data-metric=loss]")
    expect(chart.locator("canvas")).to_be_visible()
    expect(chart).to_have_attribute("data-series", "2")
    expect(chart.locator(".u-legend")).to_contain_text("small lr · train")
    expect(chart.locator(".u-legend")).to_contain_text("big lr · train")
    shot(page, "compare")

    page.check("#only-diff")
    expect(batch).to_be_hidden()
    expect(lr).to_be_visible()


def test_compare_needs_two_to_ten_tasks(logged_in: Any) -> None:
    page = logged_in
    page.goto("/compare?ids=onlyone")
    expect(page.locator(".error-box")).to_contain_text("Pick 2 to 10 tasks")
