"""The task page: its tabs, the scalar charts, the plots, and live refresh of a running task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import ApiClient
from tests.web import seed
from tests.web.conftest import shot, unique

LOG_LINES = 250  # more than one page of the console (200)
ARTIFACT = b"epoch,loss\n1,0.5\n2,0.25\n"


@dataclass
class Seeded:
    project: str
    task: str


@pytest.fixture(scope="module")
def seeded(api: ApiClient) -> Seeded:
    pid = seed.project(api, unique("taskpage"))
    tid = seed.task(
        api, pid, "resnet run", tags=["baseline"], comment="first try", params={"lr": 0.25}
    )
    seed.start(api, tid)
    seed.scalars(api, tid, "loss", "train", seed.decay(300))
    seed.scalars(api, tid, "loss", "val", seed.decay(300, scale=1.2, floor=0.1))
    seed.scalars(api, tid, "accuracy", "top1", [1 - v for v in seed.decay(300)])
    seed.log(api, tid, [f"epoch {i} done" for i in range(LOG_LINES)])
    seed.plot(api, tid, "confusion", "validation")
    seed.artifact(api, tid, "metrics", ARTIFACT)
    api.ok("tasks.completed", task=tid)
    return Seeded(pid, tid)


def test_info_hyperparameters_configuration_and_runtime(logged_in: Any, seeded: Seeded) -> None:
    page = logged_in
    page.goto(f"/tasks/{seeded.task}")
    expect(page.locator("#task-name")).to_have_text("resnet run")
    expect(page.locator("#task-status")).to_contain_text("completed")
    expect(page.locator("#tab-body")).to_contain_text("first try")
    expect(page.locator("#tab-body")).to_contain_text("baseline")
    shot(page, "task_info")

    page.click("button[data-tab=hyperparams]")
    expect(page.locator("table[data-section=Args] tr[data-param=lr] td.value")).to_have_text("0.25")
    page.click("button[data-tab=configuration]")
    expect(page.locator("section.config[data-name=config] pre")).to_contain_text("layers: 3")
    page.click("button[data-tab=runtime]")
    expect(page.locator("#tab-body")).to_contain_text("gpu_count")
    assert page.url.endswith(f"/tasks/{seeded.task}/runtime")


def test_artifacts_download_through_the_files_service(logged_in: Any, seeded: Seeded) -> None:
    page = logged_in
    page.goto(f"/tasks/{seeded.task}/artifacts")
    row = page.locator("#artifacts-table tr[data-artifact=metrics]")
    expect(row).to_be_visible()
    href = row.locator("a.download").get_attribute("href")
    assert href and "/files/" in href
    shot(page, "task_artifacts")
    with page.expect_download() as info:
        row.locator("a.download").click()
    download = info.value
    assert Path(download.path()).read_bytes() == ARTIFACT


def test_console_log_pages_back_in_time(logged_in: Any, seeded: Seeded) -> None:
    page = logged_in
    page.goto(f"/tasks/{seeded.task}/console")
    log = page.locator("#console-log")
    expect(log).to_contain_text(f"epoch {LOG_LINES - 1} done")
    expect(log).not_to_contain_text("epoch 0 done")
    page.click("#log-earlier")
    expect(log).to_contain_text("epoch 0 done")
    shot(page, "task_console")


def test_scalar_charts_hover_zoom_and_smooth(logged_in: Any, seeded: Seeded) -> None:
    page = logged_in
    page.goto(f"/tasks/{seeded.task}/scalars")
    chart = page.locator(".chart[data-metric=loss]")
    expect(chart.locator("canvas")).to_be_visible()
    expect(chart).to_have_attribute("data-series", "2")
    expect(page.locator(".chart[data-metric=accuracy]")).to_be_visible()
    shot(page, "task_scalars")

    # Hover shows the values under the cursor in the legend.
    over = chart.locator(".u-over")
    box = over.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    values = chart.locator(".u-legend .u-value")
    expect(values.nth(1)).not_to_have_text("–")

    # Dragging across zooms the x axis; a double-click resets it.
    full = chart.get_attribute("data-x-range")
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 20, steps=5)
    page.mouse.up()
    expect(chart).not_to_have_attribute("data-x-range", full or "")
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(chart).to_have_attribute("data-x-range", full or "")

    # Smoothing adds the smoothed line next to the faded raw one.
    page.locator("#smoothing").fill("0.9")
    expect(chart.locator(".u-legend")).to_contain_text("train (raw)")
    shot(page, "task_scalars_smoothed")
    page.locator("#smoothing").fill("0")


def test_plot_events_are_drawn(logged_in: Any, seeded: Seeded) -> None:
    page = logged_in
    page.goto(f"/tasks/{seeded.task}/plots")
    figure = page.locator("figure.plot[data-metric=confusion]")
    expect(figure.locator(".main-svg").first).to_be_visible()
    expect(figure.locator("figcaption")).to_contain_text("validation")
    shot(page, "task_plots")


def test_a_running_task_refreshes_without_a_reload(logged_in: Any, api: ApiClient) -> None:
    page = logged_in
    pid = seed.project(api, unique("live"))
    tid = seed.task(api, pid, "live run")
    seed.start(api, tid)
    seed.scalars(api, tid, "loss", "train", seed.decay(20))
    page.goto(f"/tasks/{tid}/scalars")
    expect(page.locator(".chart[data-metric=loss]")).to_be_visible()
    expect(page.locator("#task-status")).to_contain_text("in progress")

    seed.scalars(api, tid, "reward", "mean", [1.0, 2.0, 3.0])
    expect(page.locator(".chart[data-metric=reward]")).to_be_visible(timeout=20000)
    api.ok("tasks.stopped", task=tid)
    expect(page.locator("#task-status")).to_contain_text("stopped", timeout=20000)
    shot(page, "task_live_refresh")
