"""How fast is the Training Lab's training path? Ratios against baselines measured in this run.

On the look-ahead task, with the page's default sizes, this measures steady-state training
throughput (samples per second, both variants trained on every sample, first epoch excluded so
compilation does not count) of:

- the lab's path (`bilstm_lab.training.train`: one compiled step trains LSTM and BiLSTM):
  with its recurrent layers unrolled in time (what it uses for long runs), with Keras's time
  loop (what it uses for short runs, which start ~2 s sooner), and time loop + XLA;
- bare Keras ``model.fit`` of the same two models (built by `bilstm_lab.models.builder`), one after
  the other, with Keras's default ``jit_compile="auto"``: as the builder makes them by default
  (time loop), and unrolled like the lab's;
- PyTorch ``nn.LSTM`` (uni + bidirectional, same sizes, Adam, same batches), when installed;

and the wall time of one `train` call (model build, compile and training) until the BiLSTM
first reaches 95% held-out accuracy. It prints figures and ratios, and asserts nothing.

Run: ``python bench/training_speed.py [--epochs 4] [--repeats 2]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

from bilstm_lab.core.results import Progress
from bilstm_lab.core.train_config import HELD_OUT, UNROLL_MIN_WORK, TrainConfig, model_spec
from bilstm_lab.models.builder import build_model
from bilstm_lab.training.loop import train

CONFIG = TrainConfig()  # the page's defaults: look-ahead, T=16, k=3, vocab 8, 32 units, lr 0.02


def lab_throughput(config: TrainConfig, epochs: int) -> float:
    """Samples/s of the lab's path after its first epoch (both variants per sample).

    The lab also scores 1000 held-out sequences after every epoch (for the live accuracy
    curve); that time is taken out, since the baselines do not evaluate.
    """
    result = train(config.with_changes(epochs=epochs))
    history = result.history
    per_epoch = float(
        np.mean(
            [
                history[i].seconds - history[i - 1].seconds - history[i].eval_seconds
                for i in range(1, len(history))
            ]
        )
    )
    batches = config.samples // config.batch_size
    return batches * config.batch_size / per_epoch


class _EpochTimer(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: object = None) -> None:
        self.times.append(time.perf_counter() - self.start)


def keras_fit_throughput(config: TrainConfig, epochs: int, unroll: bool) -> float:
    """Samples/s of bare ``model.fit`` training the same two models one after the other."""
    task = config.task_obj
    data = task.generate(config.params, config.samples, config.seed)
    batches = config.samples // config.batch_size
    n = batches * config.batch_size  # same samples per epoch as the lab (no ragged batch)
    seconds = 0.0
    for bidirectional in (False, True):
        options = {"unroll": True} if unroll else None
        model = build_model(model_spec(config), bidirectional, config.seed, options)
        model.compile(
            optimizer=keras.optimizers.Adam(config.learning_rate),
            loss="sparse_categorical_crossentropy",
            weighted_metrics=["accuracy"],
        )
        timer = _EpochTimer()
        model.fit(
            data.x[:n], data.y[:n], sample_weight=data.mask[:n],
            batch_size=config.batch_size, epochs=epochs, verbose=0, callbacks=[timer],
        )  # fmt: skip
        seconds += float(np.mean(timer.times[1:]))
    return n / seconds


def torch_throughput(config: TrainConfig, epochs: int, threads: int) -> float | None:
    """Samples/s of PyTorch doing the same work (both variants), or None without torch.

    ``threads`` sets torch's intra-op threads: on a loaded 2-core machine OpenMP's spinning
    threads make 2 threads several times slower than 1, so the caller keeps the faster one.
    """
    try:
        import torch
        from torch import nn
    except ImportError:
        return None
    torch.set_num_threads(threads)
    torch.manual_seed(config.seed)  # a benchmark process of its own: a global seed is fine here
    task = config.task_obj
    data = task.generate(config.params, config.samples, config.seed)
    vocab, classes = task.input_vocab(config.params), task.n_classes(config.params)

    class Net(nn.Module):
        def __init__(self, bidirectional: bool) -> None:
            super().__init__()
            self.embed = nn.Embedding(vocab, config.embedding_dim)
            self.rnn = nn.LSTM(
                config.embedding_dim, config.units, batch_first=True, bidirectional=bidirectional
            )
            self.head = nn.Linear(config.units * (2 if bidirectional else 1), classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h, _ = self.rnn(self.embed(x))  # (batch, T, directions*units)
            return self.head(h)  # (batch, T, classes) logits

    models = [Net(False), Net(True)]
    params = [p for m in models for p in m.parameters()]
    optimizer = torch.optim.Adam(params, lr=config.learning_rate)
    x = torch.from_numpy(data.x).long()
    y = torch.from_numpy(data.y).long()
    mask = torch.from_numpy(data.mask)
    rng = np.random.default_rng(config.seed)
    batches = config.samples // config.batch_size
    times = []
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(config.samples))
        start = time.perf_counter()
        for i in range(batches):
            rows = order[i * config.batch_size : (i + 1) * config.batch_size]
            optimizer.zero_grad()
            total = torch.zeros(())
            for model in models:
                losses = nn.functional.cross_entropy(
                    model(x[rows]).transpose(1, 2), y[rows], reduction="none"
                )  # (batch, T)
                total = total + (losses * mask[rows]).sum() / mask[rows].sum()
            total.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return batches * config.batch_size / float(np.mean(times[1:]))


def time_to_95(config: TrainConfig) -> tuple[float | None, int]:
    """Wall seconds of one `train` call until the BiLSTM's held-out accuracy first reaches 95%."""
    reached: list[float] = []
    start = time.perf_counter()

    def on_progress(progress: Progress) -> None:
        if not reached and progress.history and progress.history[-1].val_acc_bi >= 0.95:
            reached.append(time.perf_counter() - start)

    result = train(config, on_progress, should_stop=lambda: bool(reached))
    return (reached[0] if reached else None), result.epochs_done


def best_of(repeats: int, measure: Callable[[], float | None]) -> float | None:
    """The best of ``repeats`` measurements (the least disturbed by other load)."""
    values = [v for v in (measure() for _ in range(repeats)) if v is not None]
    return max(values) if values else None


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per throughput run (>= 2)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per measurement (best kept)")
    args = parser.parse_args()
    config = CONFIG
    print(
        f"look-ahead T={config.params.seq_len} k={config.params.k} vocab={config.params.vocab}, "
        f"{config.samples} samples, batch {config.batch_size}, {config.units} units, "
        f"held-out {HELD_OUT}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    # PyTorch first: once TensorFlow has started its thread pools, torch's CPU kernels in the
    # same process run ~4x slower (measured 1080 vs 255 samples/s), which would flatter the lab.
    torch_by_threads = {
        threads: best_of(args.repeats, partial(torch_throughput, config, args.epochs, threads))
        for threads in (1, 2)
    }
    print(
        "pytorch samples/s by threads: "
        + ", ".join(
            f"{t}: {'n/a' if v is None else f'{v:.0f}'}" for t, v in torch_by_threads.items()
        )
    )
    rates = [v for v in torch_by_threads.values() if v is not None]
    torch_rate = max(rates) if rates else None
    loop = config.with_changes(unroll=False)
    figures = {
        "lab (unrolled)": best_of(
            args.repeats, lambda: lab_throughput(config.with_changes(unroll=True), args.epochs)
        ),
        "lab (time loop + XLA)": best_of(
            args.repeats, lambda: lab_throughput(loop.with_changes(jit_compile=True), args.epochs)
        ),
        "lab (time loop)": best_of(args.repeats, lambda: lab_throughput(loop, args.epochs)),
        "keras fit (time loop)": best_of(
            args.repeats, lambda: keras_fit_throughput(config, args.epochs, unroll=False)
        ),
        "keras fit (unrolled)": best_of(
            args.repeats, lambda: keras_fit_throughput(config, args.epochs, unroll=True)
        ),
        "pytorch (best)": torch_rate,
    }
    print("\nsteady-state samples/s (each sample trains both LSTM and BiLSTM):")
    for name, value in figures.items():
        print(f"  {name:24s} {'n/a' if value is None else f'{value:9.0f}'}")
    for lab_name in ("lab (unrolled)", "lab (time loop)"):
        lab = figures[lab_name]
        assert lab is not None
        for name in ("keras fit (time loop)", "keras fit (unrolled)"):
            fit = figures[name]
            assert fit is not None
            print(f"{lab_name} / {name:22s}: {lab / fit:.2f}x   (target >= 1.0)")
        if torch_rate is not None:
            print(
                f"{lab_name} / {'pytorch':22s}: {lab / torch_rate:.2f}x"
                "   (target >= 0.67, i.e. within 1.5x)"
            )
    print(
        f"(the lab unrolls runs of >= {UNROLL_MIN_WORK} sample-epochs; the page's default run "
        f"is {config.epochs * config.samples}, so it uses the time loop and starts sooner)"
    )
    print(
        "wall time of train() until the BiLSTM first reaches 95% held-out (build + compile included):"
    )
    runs = {
        "page default (5 epochs)": config,
        "unrolled": config.with_changes(unroll=True, epochs=20),
        "time loop + XLA": loop.with_changes(jit_compile=True, epochs=20),
        "time loop": loop.with_changes(epochs=20),
    }
    for label, run in runs.items():
        shown = []
        for _ in range(args.repeats):
            seconds, epochs = time_to_95(run)
            shown.append("not reached" if seconds is None else f"{seconds:.1f} s ({epochs} ep)")
        print(f"  {label:20s} {', '.join(shown)}   (target < 10 s)")


if __name__ == "__main__":
    main()
