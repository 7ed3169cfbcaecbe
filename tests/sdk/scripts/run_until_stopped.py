"""A training script that runs until something outside stops it."""

import os
import sys
import time

from _prelude import result  # noqa: F401  (offline update check)
from clearml import Task

task = Task.init(project_name=os.environ["SCENARIO_PROJECT"], task_name="long run")
sys.stdout.write(f"TASK {task.id}\n")
sys.stdout.flush()
deadline = time.time() + float(os.environ.get("SCENARIO_MAX_S", "60"))
i = 0
while time.time() < deadline:
    task.get_logger().report_scalar("progress", "i", value=i, iteration=i)
    i += 1
    time.sleep(0.2)
sys.stdout.write("NOT STOPPED\n")
sys.exit(3)
