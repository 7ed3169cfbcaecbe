"""Task.init → connect(dict) → report_scalar × N → report_text → upload_artifact → close."""

import os

import numpy as np
from _prelude import result
from clearml import Task

project, name = os.environ["SCENARIO_PROJECT"], os.environ["SCENARIO_TASK"]
task = Task.init(project_name=project, task_name=name)
params = task.connect({"lr": 0.1, "epochs": 3, "optimizer": "adam"})
logger = task.get_logger()
values = [1.0 / (i + 1) for i in range(int(os.environ.get("SCENARIO_POINTS", "12")))]
for i, value in enumerate(values):
    logger.report_scalar("loss", "train", value=value, iteration=i)
    logger.report_scalar("loss", "val", value=value * 2, iteration=i)
logger.report_text("a line of text from the script")
logger.report_histogram("hist", "counts", values=[1, 5, 2], iteration=len(values) - 1)
pixels = np.zeros((8, 8, 3), dtype=np.uint8)
logger.report_image("img", "sample", iteration=0, image=pixels)
uploaded = task.upload_artifact("stats", {"a": 1, "b": [1, 2]}, wait_on_upload=True)
task_id = task.id
task.close()
result(id=task_id, values=values, uploaded=uploaded, params=dict(params))
