"""Populate the server through its API the way the clearml SDK does."""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import orjson

from tests.support import ApiClient


def project(api: ApiClient, name: str) -> str:
    return str(api.ok("projects.create", name=name, description="made by the UI tests")["id"])


def task(
    api: ApiClient,
    project_id: str,
    name: str,
    *,
    type: str = "training",
    tags: list[str] | None = None,
    comment: str = "",
    params: dict[str, Any] | None = None,
) -> str:
    hyperparams = {
        "Args": {
            k: {"section": "Args", "name": k, "value": str(v), "type": type_name(v)}
            for k, v in (params or {}).items()
        }
    }
    data = api.ok(
        "tasks.create",
        name=name,
        type=type,
        project=project_id,
        tags=tags or [],
        comment=comment,
        hyperparams=hyperparams if params else {},
        configuration={
            "config": {"name": "config", "type": "yaml", "value": "layers: 3\nlr: 0.1\n"}
        },
        runtime={"gpu_count": 0},
        script={"repository": "https://example.invalid/repo.git", "entry_point": "train.py"},
    )
    return str(data["id"])


def type_name(value: Any) -> str:
    return type(value).__name__


def start(api: ApiClient, task_id: str) -> None:
    api.ok("tasks.started", task=task_id)


def events(api: ApiClient, items: list[dict[str, Any]]) -> None:
    for i in range(0, len(items), 5000):
        reply = api.batch("events.add_batch", items[i : i + 5000])
        assert reply.status == 200, reply.body["meta"]


def scalars(
    api: ApiClient, task_id: str, metric: str, variant: str, values: list[float], first: int = 0
) -> None:
    now = int(time.time() * 1000)
    events(
        api,
        [
            {
                "task": task_id,
                "type": "training_stats_scalar",
                "metric": metric,
                "variant": variant,
                "value": v,
                "iter": first + i,
                "timestamp": now + i,
            }
            for i, v in enumerate(values)
        ],
    )


def decay(n: int, scale: float = 1.0, floor: float = 0.05) -> list[float]:
    """A loss-like curve."""
    return [floor + scale * math.exp(-i / max(1, n / 5)) for i in range(n)]


def log(api: ApiClient, task_id: str, lines: list[str]) -> None:
    now = int(time.time() * 1000) - len(lines)
    events(
        api,
        [
            {"task": task_id, "type": "log", "msg": line, "level": "info", "timestamp": now + i}
            for i, line in enumerate(lines)
        ],
    )


def plot(api: ApiClient, task_id: str, metric: str, variant: str) -> None:
    figure = {
        "data": [{"type": "bar", "x": ["cat", "dog", "bird"], "y": [5, 3, 7], "name": variant}],
        "layout": {"title": f"{metric} {variant}"},
    }
    events(
        api,
        [
            {
                "task": task_id,
                "type": "plot",
                "metric": metric,
                "variant": variant,
                "iter": 0,
                "plot_str": orjson.dumps(figure).decode(),
                "timestamp": int(time.time() * 1000),
            }
        ],
    )


def artifact(api: ApiClient, task_id: str, key: str, content: bytes) -> str:
    """Upload a file to the files service and register it as an artifact; returns its uri."""
    rel = f"ui/t.{task_id}/artifacts/{key}/{key}.txt"
    reply = api.http.post(
        "/files/", files={rel: (f"{key}.txt", content)}, headers={"Authorization": api.auth_header}
    )
    assert reply.status_code == 200, reply.text
    uri = f"{api.base_url}/files/{rel}"
    api.ok(
        "tasks.add_or_update_artifacts",
        task=task_id,
        force=True,
        artifacts=[
            {
                "key": key,
                "type": "custom",
                "mode": "output",
                "uri": uri,
                "content_size": len(content),
                "hash": uuid.uuid4().hex,
                "timestamp": int(time.time()),
            }
        ],
    )
    return uri
