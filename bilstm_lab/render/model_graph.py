"""A real model's layer graph as Graphviz DOT text, output shapes on the edges.

Drawn from a `bilstm_lab.core.model_info.ModelInfo` (plain data from a worker), so the server
paints it without TensorFlow. Layer and model names come from uploaded files: they are user
text and are escaped before they reach the DOT source.
"""

from __future__ import annotations

from collections.abc import Collection

from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.model_info import ModelInfo

#: Box colours: an ordinary layer, a converted one, a freshly initialised one.
PLAIN_FILL = "#f3f4f6"
CHANGED_FILL = "#c7e9c0"
FRESH_FILL = "#fdd9a0"


def dot_escape(text: str) -> str:
    """Text safe inside a double-quoted DOT string (a name cannot end the string or escape)."""
    # Layer names in an uploaded file are user text: keep quotes from breaking the DOT.
    return text.replace("\\", "/").replace('"', "'")


def model_dot(
    info: ModelInfo,
    highlight: Collection[str] = (),
    fresh: Collection[str] = (),
) -> str:
    """Graphviz DOT of a model's layer graph, output shapes on the edges.

    Args:
        info: the model's table and graph (`bilstm_lab.models.introspect.model_info`).
        highlight: layer names to colour green (the converted ones).
        fresh: layer names to colour orange (freshly initialised); wins over ``highlight``.

    Returns:
        DOT text for ``st.graphviz_chart``.
    """
    highlight, fresh = set(highlight), set(fresh)
    lines = [
        "digraph model {",
        f'  rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="{PLAIN_FILL}", '
        'fontname="Helvetica", fontsize=11]; edge [fontname="Helvetica", fontsize=10];',
    ]
    for node in info.nodes:
        fill = CHANGED_FILL if node.name in highlight else PLAIN_FILL
        fill = FRESH_FILL if node.name in fresh else fill
        parts = [node.name, node.kind] + ([f"{fmt(node.params)} params"] if node.params else [])
        label = "\\n".join(dot_escape(part) for part in parts)  # DOT's own line breaks
        lines.append(f'  "{dot_escape(node.name)}" [label="{label}", fillcolor="{fill}"];')
    for edge in info.edges:
        attributes = "" if edge.shape is None else f' [label=" {format_shape([edge.shape])}"]'
        lines.append(f'  "{dot_escape(edge.source)}" -> "{dot_escape(edge.target)}"{attributes};')
    lines.append("}")
    return "\n".join(lines)
