"""Task.init and close with nothing reported: the task a second init may reuse."""

import os

from _prelude import result
from clearml import Task

task = Task.init(project_name=os.environ["SCENARIO_PROJECT"], task_name=os.environ["SCENARIO_TASK"])
task_id = task.id
task.close()
result(id=task_id)
