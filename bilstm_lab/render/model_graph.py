"""A real model's layer graph as Graphviz DOT text, output shapes on the edges.

Drawn from a `bilstm_lab.core.model_info.ModelInfo` (plain data from a worker), so the server
paints it without TensorFlow. Layer and model names come from uploaded files: they are user
text and are escaped before they reach the DOT source.

Each box's colour says where the layer's weights come from (`Role`): unchanged, converted
with the original weights, converted with the forward direction original and the backward one
new (a box split in two: forward left, backward right), or all new. `colour_key_html` is the
key the page shows above the diagrams, in the same colours.

Readability on a projector: node text is 13 pt and shape labels 12 pt at text scale 1 (the
browser draws 1 pt as 4/3 px, so about 17 and 16 px); the chain runs top to bottom, so the
picture stays narrow and is seldom shrunk to fit its column. (Streamlit sets every text in a
Graphviz chart to one small size of its own; the page style in `bilstm_lab.ui.display` gives
every diagram's text back the size its layout was computed for.)
"""

from __future__ import annotations

import html
from collections.abc import Collection, Mapping
from enum import StrEnum

from bilstm_lab.core import explain
from bilstm_lab.core.conversion import Freshness
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.model_info import GraphEdge, GraphNode, ModelInfo

#: Node text size in points at text scale 1 (the browser draws 1 pt as 4/3 px).
NODE_FONT_PT = 13
#: Edge (shape) label size in points at text scale 1.
EDGE_FONT_PT = 12

#: Box colours: an unchanged layer, original weights in a converted layer, new weights.
PLAIN_FILL = "#f3f4f6"
KEPT_FILL = "#c7e9c0"
FRESH_FILL = "#fdd9a0"


class Role(StrEnum):
    """Where a layer's weights come from, as its box shows it (and the key's entries)."""

    UNCHANGED = "unchanged"
    KEPT = "kept"
    BACKWARD = "backward"
    FRESH = "fresh"


#: Each role's box colours, (left half, right half): one colour twice, or a box split in two.
#: The DOT boxes, the key's swatches and the downloads' layout all read them from here.
HALVES = {
    Role.UNCHANGED: (PLAIN_FILL, PLAIN_FILL),
    Role.KEPT: (KEPT_FILL, KEPT_FILL),
    Role.BACKWARD: (KEPT_FILL, FRESH_FILL),
    Role.FRESH: (FRESH_FILL, FRESH_FILL),
}
#: Each role's fill: DOT ``fillcolor`` (a split box is a two-colour gradient stopped halfway).
FILLS = {
    role: left if left == right else f"{left};0.5:{right}" for role, (left, right) in HALVES.items()
}
#: Each role's swatch in the key (CSS ``background``), the same colours as the boxes.
SWATCHES = {
    role: left if left == right else f"linear-gradient(90deg, {left} 50%, {right} 50%)"
    for role, (left, right) in HALVES.items()
}


def dot_escape(text: str) -> str:
    """Text safe inside a double-quoted DOT string (a name cannot end the string or escape)."""
    # Layer names in an uploaded file are user text: keep quotes from breaking the DOT.
    return text.replace("\\", "/").replace('"', "'")


def node_lines(node: GraphNode) -> list[str]:
    """A layer's box text, one entry per line: its name, its type and its parameters (if any)."""
    return [node.name, node.kind] + ([f"{fmt(node.params)} params"] if node.params else [])


def edge_text(edge: GraphEdge) -> str | None:
    """The shape an arrow carries, as its label says it; None when unknown (no label)."""
    return None if edge.shape is None else format_shape([edge.shape])


def layer_roles(
    freshness: Mapping[str, Freshness], converted: Collection[str] = ()
) -> dict[str, Role]:
    """Each layer's box role, from what a conversion did to its weights.

    Args:
        freshness: layer name → which of its weights are new (`ConversionReport.freshness_by_layer`).
        converted: the layers whose type changed (wrapped or unwrapped).
    """
    converted = set(converted)
    roles = {}
    for name, fresh in freshness.items():
        if fresh is Freshness.ALL:
            roles[name] = Role.FRESH
        elif fresh is Freshness.BACKWARD:
            roles[name] = Role.BACKWARD
        else:
            roles[name] = Role.KEPT if name in converted else Role.UNCHANGED
    for name in converted - roles.keys():
        roles[name] = Role.KEPT
    return roles


def model_dot(
    info: ModelInfo, roles: Mapping[str, Role] | None = None, text_scale: float = 1.0
) -> str:
    """Graphviz DOT of a model's layer graph, output shapes on the edges.

    Args:
        info: the model's table and graph (`bilstm_lab.models.introspect.model_info`).
        roles: layer name → where its weights come from (`layer_roles`); a layer not named is
            drawn unchanged.
        text_scale: multiplies every font size (presenter mode enlarges the text).

    Returns:
        DOT text for ``st.graphviz_chart``.
    """
    roles = roles or {}
    node_pt = round(NODE_FONT_PT * text_scale)
    edge_pt = round(EDGE_FONT_PT * text_scale)
    lines = [
        "digraph model {",
        '  rankdir=TB; nodesep=0.25; ranksep=0.3; bgcolor="transparent";',
        f'  node [shape=box, style="rounded,filled", fillcolor="{PLAIN_FILL}", '
        f'fontname="Helvetica", fontsize={node_pt}];',
        f'  edge [fontname="Helvetica", fontsize={edge_pt}];',
    ]
    for node in info.nodes:
        fill = FILLS[roles.get(node.name, Role.UNCHANGED)]
        label = "\\n".join(dot_escape(part) for part in node_lines(node))  # DOT's own line breaks
        lines.append(f'  "{dot_escape(node.name)}" [label="{label}", fillcolor="{fill}"];')
    for edge in info.edges:
        shape = edge_text(edge)
        attributes = "" if shape is None else f' [label=" {shape}"]'
        lines.append(f'  "{dot_escape(edge.source)}" -> "{dot_escape(edge.target)}"{attributes};')
    lines.append("}")
    return "\n".join(lines)


def colour_key_html(roles: Collection[Role]) -> str:
    """The colour key of the roles drawn (in `Role` order), each word on its own colour."""
    chips = [
        f'<span style="background: {SWATCHES[role]}; border: 1px solid #555; '
        f'border-radius: 0.3rem; padding: 0.05rem 0.45rem; white-space: nowrap;">'
        f"{html.escape(explain.CONVERT_KEY[role.value])}</span>"
        for role in Role
        if role in roles
    ]
    return f"{html.escape(explain.CONVERT_KEY_TITLE)} " + " &nbsp; ".join(chips)
