"""A worker's warm-up: one tiny training, so the first user's Train skips the first-trace costs.

TensorFlow's first ``tf.function`` trace in a process, Keras's first optimizer build and the
first gradient tape cost seconds once per process; a worker pays them here, before it tells
the server it is ready.
"""

from __future__ import annotations

from bilstm_lab.core.tasks import TaskParams
from bilstm_lab.core.train_config import TrainConfig
from bilstm_lab.training.loop import train

#: The smallest run that goes through every step of a real one (build, trace, step, evaluate).
WARM_UP_RUN = TrainConfig(
    params=TaskParams(seq_len=4, k=1, vocab=2), samples=64, units=2, epochs=1, batch_size=64
)


def warm_up() -> None:
    """Train `WARM_UP_RUN` and drop the result."""
    train(WARM_UP_RUN)
