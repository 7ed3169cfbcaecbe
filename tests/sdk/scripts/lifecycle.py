"""Task.create → mark_started/stopped/failed → reset → clone → set_parameters → delete.

The status after each step is read back from the server (`.status` calls tasks.get_all).
"""

import os

from _prelude import result
from clearml import Task

project = os.environ["SCENARIO_PROJECT"]
task = Task.create(project_name=project, task_name="lifecycle")
statuses = [Task.get_task(task_id=task.id).status]
task.mark_started()
statuses.append(Task.get_task(task_id=task.id).status)
task.mark_stopped()
statuses.append(Task.get_task(task_id=task.id).status)
task.mark_failed()
statuses.append(Task.get_task(task_id=task.id).status)
task.reset()
statuses.append(Task.get_task(task_id=task.id).status)
clone = Task.clone(source_task=task, name="lifecycle clone")
clone.set_parameters({"Args/lr": 0.2, "Args/batch": 32})
clone_params = Task.get_task(task_id=clone.id).get_parameters()
deleted = bool(clone.delete())
result(
    id=task.id,
    clone=clone.id,
    clone_parent=clone.parent,
    statuses=[str(s) for s in statuses],
    clone_params=clone_params,
    deleted=deleted,
)
