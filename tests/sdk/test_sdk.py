"""Acceptance (issue 5): the real clearml SDK works unchanged against taskyard.

Every scenario runs at the SDK's default API version (2.23) and capped with
CLEARML_FORCE_MAX_API_VERSION at 2.9, 2.13 and 2.20. Server state is checked through the API,
not through the SDK's own caches.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import httpx

from tests.procserver import ServeProcess
from tests.sdk.conftest import ACCESS_KEY, FAST_CLOSE, SECRET_KEY, Sdk
from tests.support import ApiClient


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _task(api: ApiClient, task_id: str) -> dict[str, Any]:
    task: dict[str, Any] = api.ok("tasks.get_by_id", task=task_id)["task"]
    return task


def _expected_version(sdk: Sdk) -> str:
    return sdk.version or "2.23"


def test_init_report_artifact_close_then_read_back(sdk: Sdk, api: ApiClient) -> None:
    check_main_scenario(sdk, api)


def test_main_scenario_on_postgresql(sdk_pg_server: ServeProcess, tmp_path: Path) -> None:
    """The same scenario against a server on PostgreSQL (default API version)."""
    api = ApiClient(sdk_pg_server.url, ACCESS_KEY, SECRET_KEY)
    try:
        check_main_scenario(Sdk(sdk_pg_server, tmp_path / "home", None), api)
    finally:
        api.close()


def check_main_scenario(sdk: Sdk, api: ApiClient) -> None:
    # The SDK's default reporter (a subprocess, ~10 s to close) at the default version; the
    # capped versions use the thread reporter, since the wire traffic is the same.
    if sdk.version:
        sdk.config = FAST_CLOSE
    run = sdk.run("init_report_close.py", SCENARIO_TASK="train")
    res = run.result
    assert res["api_version"] == _expected_version(sdk)
    assert res["uploaded"] is True
    values: list[float] = res["values"]
    task = _task(api, res["id"])

    assert task["status"] == "completed"
    assert task["name"] == "train"
    general = task["hyperparams"]["General"]
    assert (general["lr"]["value"], general["epochs"]["value"]) == ("0.1", "3")
    assert general["optimizer"]["value"] == "adam"
    if _expected_version(sdk) != "2.9":  # the SDK stores runtime properties from 2.13 on
        assert task["runtime"]["CLEARML VERSION"].startswith("clearml-")
    assert task["script"]["entry_point"] == "init_report_close.py"
    assert "report_scalar" in task["script"]["diff"]
    assert task["last_iteration"] == len(values) - 1
    train = task["last_metrics"][_md5("loss")][_md5("train")]
    assert (train["metric"], train["variant"]) == ("loss", "train")
    assert train["value"] == values[-1]
    assert (train["min_value"], train["max_value"]) == (min(values), max(values))
    val = task["last_metrics"][_md5("loss")][_md5("val")]
    assert val["value"] == values[-1] * 2

    (artifact,) = [a for a in task["execution"]["artifacts"] if a["key"] == "stats"]
    assert artifact["uri"].startswith(f"{sdk.server.url}/files/")
    token = api.ok("auth.login")["token"]
    download = httpx.get(artifact["uri"], headers={"Authorization": f"Bearer {token}"})
    assert download.status_code == 200
    assert download.json() == {"a": 1, "b": [1, 2]}

    # Reading back through the SDK (another process).
    sdk.config = FAST_CLOSE
    read = sdk.run("read_tasks.py", SCENARIO_TASK="train", TASK_ID=res["id"]).result
    assert read["by_id"] == [res["id"], "train", "completed"]
    assert read["by_name"] == res["id"]
    assert read["params"]["General/lr"] == "0.1"
    assert read["artifacts"]["stats"] == artifact["uri"]
    assert read["scalars"]["loss"]["train"]["x"] == list(range(len(values)))
    assert read["scalars"]["loss"]["train"]["y"] == values
    assert read["scalars"]["loss"]["val"]["y"] == [v * 2 for v in values]
    last = read["last_scalars"]["loss"]["train"]
    assert (last["last"], last["min"], last["max"]) == (values[-1], min(values), max(values))
    assert read["completed"] == [res["id"]]
    assert read["created"] == []
    (queried,) = read["queried"]
    assert queried["id"] == res["id"] and queried["status"] == "completed"
    assert queried["last_update"]
    assert any("a line of text from the script" in line for line in read["log"])
    assert read["plots"] == [["hist", "counts", len(values) - 1]]
    (image_url,) = read["images"]
    assert image_url.startswith(f"{sdk.server.url}/files/")
    image = httpx.get(image_url, headers={"Authorization": f"Bearer {token}"})
    assert image.status_code == 200 and image.content


def test_create_mark_reset_clone_set_parameters_delete(sdk: Sdk, api: ApiClient) -> None:
    sdk.config = FAST_CLOSE
    res = sdk.run("lifecycle.py").result
    assert res["api_version"] == _expected_version(sdk)
    assert res["statuses"] == ["created", "in_progress", "stopped", "failed", "created"]
    assert _task(api, res["id"])["status"] == "created"
    assert res["clone"] != res["id"]
    assert res["clone_parent"] == res["id"]
    assert res["clone_params"]["Args/lr"] == "0.2"
    assert res["clone_params"]["Args/batch"] == "32"
    assert res["deleted"] is True
    assert api.call("tasks.get_by_id", task=res["clone"]).code == (400, 101)


def test_running_script_stopped_from_outside_exits(sdk: Sdk, api: ApiClient) -> None:
    proc = sdk.start("run_until_stopped.py", SCENARIO_MAX_S="60")
    try:
        assert proc.stdout is not None
        task_id = ""
        for line in proc.stdout:
            if line.startswith("TASK "):
                task_id = line.split()[1]
                break
        assert task_id, proc.stderr.read() if proc.stderr else ""
        deadline = time.monotonic() + 30
        while _task(api, task_id)["status"] != "in_progress":
            assert time.monotonic() < deadline, _task(api, task_id)
            time.sleep(0.2)
        api.ok("tasks.stop", task=task_id)
        code = proc.wait(timeout=45)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert code != 3, "the script ran to its end: the stop never reached it"
    assert _task(api, task_id)["status"] == "stopped"


def test_second_init_with_same_project_and_name_reuses_the_task(sdk: Sdk, api: ApiClient) -> None:
    sdk.config = FAST_CLOSE
    first = sdk.run("init_close.py", SCENARIO_TASK="again").result
    second = sdk.run("init_close.py", SCENARIO_TASK="again").result
    assert second["id"] == first["id"]
    assert second["api_version"] == _expected_version(sdk)
    assert _task(api, first["id"])["status"] == "completed"
    tasks = api.ok("tasks.get_all", name="^again$", only_fields=["id", "project"])["tasks"]
    project = _task(api, first["id"])["project"]
    assert [t["id"] for t in tasks if t.get("project") == project] == [first["id"]]


def test_output_model_weights_uploaded_and_registered(sdk: Sdk, api: ApiClient) -> None:
    sdk.config = FAST_CLOSE
    res = sdk.run("output_model.py").result
    assert res["api_version"] == _expected_version(sdk)
    assert res["url"].startswith(f"{sdk.server.url}/files/")
    assert res["downloaded"] is True
    assert res["task_models"] == [res["model"]]
    model = api.ok("models.get_by_id", model=res["model"])["model"]
    assert (model["name"], model["task"], model["framework"]) == (
        "my model",
        res["task"],
        "PyTorch",
    )
    assert model["uri"] == res["url"]
    outputs = _task(api, res["task"])["models"]["output"]
    assert [o["model"] for o in outputs] == [res["model"]]
    if sdk.version not in ("2.9", "2.13"):  # see scripts/output_model.py
        assert res["metadata"] == "0.9"
        assert model["metadata"]["accuracy"]["value"] == "0.9"
