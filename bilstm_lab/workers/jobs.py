"""Short names for the job functions workers run (``pool.submit("train", config)``).

Each value is ``"module.path:function"``; the function is called in a worker process as
``fn(payload, report, should_stop)`` and its module is imported there, lazily, never in the
server. Keep this module free of imports: the server imports it.
"""

from __future__ import annotations

#: Job name -> ``"module.path:function"``.
JOBS: dict[str, str] = {
    "train": "bilstm_lab.training.jobs:train_job",
    "verify": "bilstm_lab.models.verify:verify_job",
    "pitfall": "bilstm_lab.models.demos:demo_job",
    "inspect_upload": "bilstm_lab.models.upload_jobs:inspect_upload",
    "example_model": "bilstm_lab.models.upload_jobs:example_model",
    "convert_upload": "bilstm_lab.models.upload_jobs:convert_upload",
}
