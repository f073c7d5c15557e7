"""The palette every diagram shares, so one role has one colour on every picture of a page."""

from __future__ import annotations

#: One colour per role: the forward chain is the same blue in the layer stack and the unrolled
#: picture, the backward chain the same red, and so on.
COLORS = {
    "input": "#9e9e9e",
    "forward": "#1f77b4",
    "backward": "#d62728",
    "merge": "#7b3fa0",
    "output": "#2ca02c",
    "state": "#ff7f0e",
    "ellipsis": "#555555",
}

#: Arrows and boxes that have no role of their own (an Embedding, a Dense head, plain data flow).
NEUTRAL = "#555555"

#: The three weight tensors of a recurrent cell in the parameter breakdown.
PART_COLORS = {"input kernel": "#4c78a8", "recurrent kernel": "#f58518", "bias": "#54a24b"}
