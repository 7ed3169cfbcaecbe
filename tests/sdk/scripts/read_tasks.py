"""Reading tasks: get_task by id and by project + name, scalars, get_tasks, query_tasks."""

import os

from _prelude import result
from clearml import Task

project, name, task_id = (os.environ[k] for k in ("SCENARIO_PROJECT", "SCENARIO_TASK", "TASK_ID"))
by_id = Task.get_task(task_id=task_id)
by_name = Task.get_task(project_name=project, task_name=name)
scalars = by_id.get_reported_scalars()
completed = Task.get_tasks(project_name=project, task_filter={"status": ["completed"]})
created = Task.get_tasks(project_name=project, task_filter={"status": ["created"]})
queried = Task.query_tasks(
    project_name=project,
    task_name=name,
    additional_return_fields=["status", "last_update"],
)
result(
    by_id=[by_id.id, by_id.name, str(by_id.status)],
    by_name=by_name.id,
    params=by_id.get_parameters(),
    artifacts={k: v.url for k, v in by_id.artifacts.items()},
    scalars=scalars,
    completed=sorted(t.id for t in completed),
    created=sorted(t.id for t in created),
    queried=queried,
    log=by_id.get_reported_console_output(number_of_reports=50),
    last_scalars=by_id.get_last_scalar_metrics(),
    plots=[(p["metric"], p["variant"], p["iter"]) for p in by_id.get_reported_plots()],
    images=[e.get("url") for e in by_id.get_debug_samples("img", "sample")],
)
