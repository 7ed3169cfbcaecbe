"""events.*: reporting updates the task; logs, scalars, plots and images read back."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest

from taskyard.store.db import Database
from taskyard.store.entities import TASKS
from tests.support import ApiClient


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@pytest.fixture
def task(client: ApiClient, db: Database, account: tuple[str, str, str, str]) -> str:
    """A task of the client's company, inserted directly (independent of tasks.create)."""
    task_id = uuid.uuid4().hex
    with db.write() as tx:
        TASKS.insert(
            tx,
            {
                "id": task_id,
                "company": account[0],
                "name": "events task",
                "type": "training",
                "status": "in_progress",
                "last_iteration": 0,
                "tags": [],
                "system_tags": [],
            },
        )
    return task_id


def _task_doc(db: Database, task_id: str) -> dict[str, Any]:
    with db.read() as tx:
        rows = tx.query(f"SELECT {TASKS.select_list} FROM tasks WHERE id = ?", (task_id,))
    return TASKS.from_row(rows[0])[0]


def _scalar(task: str, it: int, value: float, metric: str = "loss", variant: str = "train") -> Any:
    return {
        "type": "training_stats_scalar",
        "task": task,
        "iter": it,
        "metric": metric,
        "variant": variant,
        "value": value,
        "timestamp": 1_700_000_000_000 + it,
        "method": "get",
    }


def _log(task: str, msg: str, ts: int) -> dict[str, Any]:
    return {"type": "log", "task": task, "msg": msg, "level": "info", "timestamp": ts}


def test_scalars_update_last_metrics_and_iteration(
    client: ApiClient, db: Database, task: str
) -> None:
    reply = client.batch("events.add_batch", [_scalar(task, i, v) for i, v in enumerate([3, 1, 2])])
    assert reply.data == {"added": 3, "errors": 0, "errors_info": {}}
    client.batch("events.add_batch", [_scalar(task, 3, 5.0)])
    doc = _task_doc(db, task)
    assert doc["last_iteration"] == 3
    entry = doc["last_metrics"][_md5("loss")][_md5("train")]
    assert entry["metric"] == "loss" and entry["variant"] == "train"
    assert (entry["value"], entry["min_value"], entry["max_value"]) == (5.0, 1.0, 5.0)
    assert (entry["min_value_iteration"], entry["max_value_iteration"]) == (1, 3)


def test_sorting_by_a_metric_follows_reports_and_reset(
    client: ApiClient, db: Database, task: str, account: tuple[str, str, str, str]
) -> None:
    other = uuid.uuid4().hex
    with db.write() as tx:
        doc, _ = TASKS.get(tx, [task], (account[0],))[task]
        TASKS.insert(tx, {**doc, "id": other, "name": "other task", "last_metrics": {}})

    def by_loss() -> list[str]:
        order = ["-last_metrics.loss.train.value", "name"]
        tasks = client.ok("tasks.get_all", id=[task, other], order_by=order)["tasks"]
        return [t["id"] for t in tasks]

    client.batch("events.add_batch", [_scalar(task, 0, 1.0), _scalar(other, 0, 2.0)])
    assert by_loss() == [other, task]
    # a later batch changes one series of one task: the order follows it
    client.batch("events.add_batch", [_scalar(task, 1, 3.0), _scalar(task, 1, 0.5, variant="v")])
    assert by_loss() == [task, other]
    assert (
        client.ok(
            "tasks.get_all", id=[task, other], **{"last_metrics.loss.train.value": [2.5, None]}
        )["tasks"][0]["id"]
        == task
    )
    client.ok("tasks.stop", task=task, force=True)
    client.ok("tasks.reset", task=task, force=True)
    assert by_loss() == [other, task]  # no value any more: last, after the other


def test_bad_events_are_counted_not_fatal(client: ApiClient, task: str) -> None:
    items = [
        _scalar(task, 0, 1.0),
        {"type": "nope", "task": task},
        _scalar("unknown-task", 0, 1.0),
        {**_scalar(task, 1, 1.0), "value": "x"},
    ]
    data = client.batch("events.add_batch", items).data
    assert data["added"] == 1 and data["errors"] == 3


def test_events_of_another_company_are_refused(other_client: ApiClient, task: str) -> None:
    data = other_client.batch("events.add_batch", [_scalar(task, 0, 1.0)]).data
    assert data["added"] == 0 and data["errors"] == 1
    assert other_client.call("events.get_task_log", task=task).code == (400, 101)


def test_empty_batch_is_refused(client: ApiClient) -> None:
    assert client.batch("events.add_batch", []).code == (400, 17)


def test_rereporting_an_iteration_replaces_it(client: ApiClient, task: str) -> None:
    client.batch("events.add_batch", [_scalar(task, 0, 1.0), _scalar(task, 1, 2.0)])
    client.batch("events.add_batch", [_scalar(task, 1, 7.0)])
    data = client.ok("events.get_task_events", task=task, event_type="training_stats_scalar")
    assert data["total"] == 2
    assert [e["value"] for e in data["events"]] == [1.0, 7.0]


def test_get_task_events_scrolls(client: ApiClient, task: str) -> None:
    client.batch("events.add_batch", [_scalar(task, i, float(i)) for i in range(25)])
    seen: list[int] = []
    scroll = None
    while True:
        data = client.ok(
            "events.get_task_events",
            task=task,
            event_type="training_stats_scalar",
            batch_size=10,
            scroll_id=scroll,
        )
        assert data["total"] == 25
        seen += [e["iter"] for e in data["events"]]
        scroll = data["scroll_id"]
        if data["returned"] < 10:
            break
    assert seen == list(range(25))
    desc = client.ok("events.get_task_events", task=task, order="desc", batch_size=3)
    assert [e["iter"] for e in desc["events"]] == [24, 23, 22]


def test_task_log_navigation(client: ApiClient, task: str) -> None:
    client.batch("events.add_batch", [_log(task, f"line {i}", 1000 + i) for i in range(10)])
    last = client.ok("events.get_task_log", task=task, batch_size=3, order="asc")
    assert [e["msg"] for e in last["events"]] == ["line 7", "line 8", "line 9"]
    assert last["total"] == 10
    earlier = client.ok(
        "events.get_task_log", task=task, batch_size=2, navigate_earlier=True, from_timestamp=1007
    )
    assert [e["msg"] for e in earlier["events"]] == ["line 6", "line 5"]
    later = client.ok(
        "events.get_task_log", task=task, batch_size=2, navigate_earlier=False, from_timestamp=1007
    )
    assert [e["msg"] for e in later["events"]] == ["line 8", "line 9"]


def test_histogram_shape_and_downsampling(client: ApiClient, task: str) -> None:
    client.batch(
        "events.add_batch",
        [_scalar(task, i, float(i)) for i in range(1000)]
        + [_scalar(task, i, 1.0, variant="val") for i in range(5)],
    )
    full = client.ok("events.scalar_metrics_iter_histogram", task=task)
    assert set(full) == {"loss"}
    assert full["loss"]["val"] == {"x": [0, 1, 2, 3, 4], "y": [1.0] * 5, "name": "val"}
    assert len(full["loss"]["train"]["x"]) == 1000
    small = client.ok("events.scalar_metrics_iter_histogram", task=task, samples=100)
    train = small["loss"]["train"]
    assert len(train["x"]) <= 100
    assert train["x"][0] == 0 and train["y"][0] == pytest.approx(4.5)
    assert small["loss"]["val"]["x"] == [0, 1, 2, 3, 4]
    names = client.ok("events.get_scalar_metrics_and_variants", task=task)
    assert names["metrics"] == {"loss": {"train": {"name": "train"}, "val": {"name": "val"}}}


def test_multi_task_histogram(client: ApiClient, task: str, db: Database) -> None:
    client.batch("events.add_batch", [_scalar(task, i, float(i)) for i in range(3)])
    data = client.ok("events.multi_task_scalar_metrics_iter_histogram", tasks=[task])
    assert data["loss"]["train"][task] == {
        "x": [0, 1, 2],
        "y": [0.0, 1.0, 2.0],
        "name": "events task",
    }


def test_plots_latest_iterations(client: ApiClient, task: str) -> None:
    plots = [
        {"type": "plot", "task": task, "iter": i, "metric": "m", "variant": "v", "plot_str": f"{i}"}
        for i in range(3)
    ]
    client.batch("events.add_batch", plots)
    data = client.ok("events.get_task_plots", task=task, iters=2)
    assert [p["plot_str"] for p in data["plots"]] == ["2", "1"]
    assert data["returned"] == 2


def test_debug_images(client: ApiClient, task: str) -> None:
    images = [
        {
            "type": "training_debug_image",
            "task": task,
            "iter": i,
            "metric": "img",
            "variant": "v",
            "key": f"p/t/img_{i}.jpeg",
            "url": f"http://files/p/t/img_{i}.jpeg",
        }
        for i in range(4)
    ]
    client.batch("events.add_batch", images)
    data = client.ok(
        "events.debug_images", metrics=[{"task": task, "metric": "img", "variants": ["v"]}], iters=2
    )
    iterations = data["metrics"][0]["iterations"]
    assert [i["iter"] for i in iterations] == [3, 2]
    assert iterations[0]["events"][0]["url"] == "http://files/p/t/img_3.jpeg"
    again = client.ok(
        "events.debug_images",
        metrics=[{"task": task, "metric": "img", "variants": ["v"]}],
        scroll_id=data["scroll_id"],
    )
    assert again["metrics"][0]["iterations"] == []
    sample = client.ok("events.get_debug_image_sample", task=task, metric="img", variant="v")
    assert sample["event"]["iter"] == 3 and sample["min_iteration"] == 0


def test_single_values(client: ApiClient, task: str, db: Database) -> None:
    client.batch("events.add_batch", [_scalar(task, -(2**31), 0.9, "Summary", "acc")])
    data = client.ok("events.get_task_single_value_metrics", tasks=[task])
    assert data["tasks"][0]["values"][0]["value"] == 0.9
    assert _task_doc(db, task)["last_iteration"] == 0


def test_delete_for_task(client: ApiClient, task: str) -> None:
    client.batch("events.add_batch", [_scalar(task, 0, 1.0), _log(task, "x", 5)])
    assert client.ok("events.delete_for_task", task=task)["deleted"] == 2
    assert client.ok("events.get_task_events", task=task)["total"] == 0


def test_empty_task_lists_read_nothing(client: ApiClient) -> None:
    assert client.ok("events.multi_task_scalar_metrics_iter_histogram", tasks=[]) == {}
    assert client.ok("events.get_task_single_value_metrics", tasks=[]) == {"tasks": []}
    assert client.ok("events.get_task_metrics", tasks=[]) == {"metrics": []}
    assert client.ok("events.get_multi_task_plots", tasks=[])["plots"] == {}
    assert client.ok("events.debug_images", metrics=[])["metrics"] == []


def test_events_with_wrongly_typed_fields_are_counted_as_errors(
    client: ApiClient, task: str
) -> None:
    items: list[dict[str, Any]] = [
        {"type": {"a": 1}, "task": task},
        {"type": ["log"], "task": task},
        {"type": "log", "task": task, "metric": {"x": 1}},
        {"type": "log", "task": task, "timestamp": [1]},
        {"type": "plot", "task": task, "iter": 1.5},
        {"type": "training_stats_scalar", "task": task, "value": True},
        {"type": "training_debug_image", "task": task, "value": "x"},
        {"type": "log", "task": task, "worker": 5},
        {"type": "log", "task": task, "msg": "fine"},
    ]
    reply = client.batch("events.add_batch", items)
    assert reply.code == (200, 0)
    assert (reply.data["added"], reply.data["errors"]) == (1, 8)
