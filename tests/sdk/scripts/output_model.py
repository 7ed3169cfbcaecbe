"""Task.init(output_uri=True) → OutputModel.update_weights: weights go to the files host."""

import os

from _prelude import result
from clearml import Model, OutputModel, Task

version = os.environ.get("CLEARML_FORCE_MAX_API_VERSION")
# The SDK has no metadata requests at 2.9, and at 2.13 its set_metadata sends a field
# (replace_metadata) its own 2.13 request class rejects, a client-side error.
with_metadata = version not in ("2.9", "2.13")
task = Task.init(
    project_name=os.environ["SCENARIO_PROJECT"], task_name="with model", output_uri=True
)
with open("weights.bin", "wb") as f:
    f.write(b"\x01" * 1000)
model = OutputModel(task=task, name="my model", framework="PyTorch")
model.update_weights(weights_filename="weights.bin", iteration=5)
if with_metadata:
    model.set_metadata("accuracy", "0.9", "float")
task.close()
loaded = Model(model.id)
with open(loaded.get_local_copy(), "rb") as f:
    downloaded = f.read() == b"\x01" * 1000
result(
    task=task.id,
    model=model.id,
    url=loaded.url,
    downloaded=downloaded,
    task_models=[m.id for m in Task.get_task(task_id=task.id).models["output"]],
    metadata=loaded.get_metadata("accuracy") if with_metadata else None,
)
