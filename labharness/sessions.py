"""What a simulated student does on the Explorer and must see, for any client that plays one.

Each session opens the Explorer with its own configuration (`session_spec`), so its totals are
unique and cross-talk between sessions shows; both the browser client
(`labharness.browser_sessions`) and the websocket client (`labharness.ws_client`) check the page
against `expected_totals` and report a `SessionResult`.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from bilstm_lab.core.analysis import compare
from bilstm_lab.core.formatting import fmt
from bilstm_lab.core.spec import FeatureInput, ModelSpec

EXPLORER_PAGE = "Architecture_Explorer"
EXPLORER_PATH = f"/{EXPLORER_PAGE}"
UNITS_LABEL = "units, layer 1"
#: The Explorer's metric labels for the LSTM and BiLSTM totals.
TOTAL_LABELS = ("LSTM total (Keras)", "BiLSTM total (Keras)")


def session_spec(index: int, units: int | None = None) -> ModelSpec:
    """A configuration unique to session ``index`` (so its totals are unique too)."""
    return ModelSpec(units=(units or 8 + index,), input=FeatureInput(seq_len=6, features=3 + index))


def expected_totals(spec: ModelSpec) -> tuple[str, str]:
    """The LSTM and BiLSTM totals the Explorer must show for ``spec``, as displayed."""
    comparison = compare(spec)
    return fmt(comparison.uni.total_params), fmt(comparison.bi.total_params)


@dataclass
class SessionResult:
    """What one simulated student saw."""

    index: int
    first_paint_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    error: str = ""


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def summarize(results: list[SessionResult]) -> dict[str, float]:
    """Median and 95th-percentile control-change latency, and median first paint."""
    latencies = [lat for r in results for lat in r.latencies_s]
    return {
        "sessions": float(len(results)),
        "changes": float(len(latencies)),
        "median_s": statistics.median(latencies) if latencies else float("nan"),
        "p95_s": percentile(latencies, 0.95) if latencies else float("nan"),
        "first_paint_median_s": statistics.median(r.first_paint_s for r in results),
    }
