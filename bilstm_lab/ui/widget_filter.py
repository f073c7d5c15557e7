"""Widget values no browser would send, dropped before Streamlit reads them (issues 14 and 15).

A hand-made `rerun_script` message can give any widget id any value: a string for a toggle,
NaN for a number box, an option no select box has, the id of no widget at all. Streamlit
deserialises those values before and while the page runs, and a wrong one ends the run in its
error box. `WidgetBook` sits on one websocket connection (`bilstm_lab.ui.asgi_app`): it learns
the widgets the server drew for that connection from the messages going out, and removes from
every incoming rerun the states that do not fit them:

- an id this connection was never shown;
- a value of another kind than the widget's (Streamlit 1.67's ``value_type`` per widget);
- a number that is not finite, a slider value outside its range or of the wrong length, an
  option the widget does not have.

A dropped state leaves that widget at its previous value (or its default), as if the message
had not mentioned it. The page-level guard (`bilstm_lab.ui.guard`) stays as the second line.
Only counts are logged, never what the client sent.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ButtonGroup_pb2 import ButtonGroup
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

_LOGGER = logging.getLogger(__name__)

#: Widgets remembered per connection (a page draws a few dozen; a long visit a few hundred).
MAX_WIDGETS = 2000


@dataclass(frozen=True)
class Widget:
    """What a state for one drawn widget must look like."""

    kind: str
    options: tuple[str, ...] = ()
    length: int = 0  # values of a slider (1, or 2 for a range)
    low: float = -math.inf
    high: float = math.inf
    single: bool = False  # a button group that holds at most one option


def _options(element: object) -> tuple[str, ...]:
    return tuple(str(option) for option in getattr(element, "options", ()))


def _describe(kind: str, element: object) -> Widget:
    if kind == "slider":
        assert isinstance(element, Slider)
        if element.type == Slider.Type.SELECT_SLIDER:
            return Widget("select_slider", _options(element), len(element.default))
        return Widget("slider", (), len(element.default), element.min, element.max)
    if kind == "button_group":
        assert isinstance(element, ButtonGroup)
        contents = tuple(option.content for option in element.options)
        return Widget(kind, contents, single=element.click_mode == ButtonGroup.SINGLE_SELECT)
    return Widget(kind, _options(element))


def _finite(value: float) -> bool:
    return math.isfinite(value)


def _number_ok(widget: Widget, state: WidgetState) -> bool:
    return _finite(getattr(state, state.WhichOneof("value") or "double_value"))


def _slider_ok(widget: Widget, state: WidgetState) -> bool:
    values = state.double_array_value.data
    return len(values) == widget.length and all(
        _finite(v) and widget.low <= v <= widget.high for v in values
    )


def _one_of_options(widget: Widget, state: WidgetState) -> bool:
    return state.string_value in widget.options


def _options_subset(widget: Widget, state: WidgetState) -> bool:
    values = state.string_array_value.data
    return all(v in widget.options for v in values) and (not widget.single or len(values) <= 1)


def _select_slider_ok(widget: Widget, state: WidgetState) -> bool:
    values = state.string_array_value.data
    return len(values) == widget.length and all(v in widget.options for v in values)


def _anything(widget: Widget, state: WidgetState) -> bool:
    return True


#: Per widget kind the lab draws: the value fields Streamlit 1.67 reads for it, and the check
#: on the value. (``number_input`` registers ``double_value``; an integer box's value may
#: arrive as ``int_value`` too.)
RULES: dict[str, tuple[frozenset[str], Callable[[Widget, WidgetState], bool]]] = {
    "button": (frozenset({"trigger_value"}), _anything),
    "download_button": (frozenset({"trigger_value"}), _anything),
    "checkbox": (frozenset({"bool_value"}), _anything),
    "number_input": (frozenset({"double_value", "int_value"}), _number_ok),
    "slider": (frozenset({"double_array_value"}), _slider_ok),
    "select_slider": (frozenset({"string_array_value"}), _select_slider_ok),
    "selectbox": (frozenset({"string_value"}), _one_of_options),
    "radio": (frozenset({"string_value"}), _one_of_options),
    "button_group": (frozenset({"string_array_value"}), _options_subset),
    "file_uploader": (frozenset({"file_uploader_state_value"}), _anything),
    # Tabs that keep the open tab (st.tabs with on_change="rerun", the Explorer's code tabs):
    # the value is a label, and Streamlit opens the default tab for a label it does not have.
    "tabs": (frozenset({"string_value"}), _anything),
    # Expanders and popovers that keep whether they are open (the Explorer's "More options").
    "expandable": (frozenset({"bool_value"}), _anything),
    "popover": (frozenset({"bool_value"}), _anything),
}


#: The blocks that keep a state (``st.tabs``, ``st.expander``, ``st.popover`` with ``key`` and
#: ``on_change``): the block's type -> the widget kind of its `RULES`.
STATEFUL_BLOCKS = {"tab_container": "tabs", "expandable": "expandable", "popover": "popover"}


class WidgetBook:
    """The widgets drawn on one connection, and the incoming states that fit them."""

    def __init__(self, limit: int = MAX_WIDGETS) -> None:
        self._limit = limit
        self._widgets: OrderedDict[str, Widget] = OrderedDict()

    def __len__(self) -> int:
        return len(self._widgets)

    def learn(self, data: bytes) -> None:
        """Note the widget an outgoing ForwardMsg draws, if it draws one."""
        message = ForwardMsg()
        try:
            message.ParseFromString(data)
        except Exception:  # not ours to judge: the frontend will
            return
        if message.WhichOneof("type") != "delta":
            return
        if message.delta.WhichOneof("type") == "add_block":
            block = message.delta.add_block
            block_kind = block.WhichOneof("type")
            if block_kind in STATEFUL_BLOCKS:
                block_id = getattr(block, block_kind).id  # only the stateful ones have one
                if block_id:
                    self._remember(block_id, Widget(STATEFUL_BLOCKS[block_kind]))
            return
        if message.delta.WhichOneof("type") != "new_element":
            return
        element = message.delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        inner = getattr(element, kind)
        widget_id = getattr(inner, "id", None)
        if not isinstance(widget_id, str) or not widget_id:
            return
        if kind not in RULES:
            return
        self._remember(widget_id, _describe(kind, inner))

    def _remember(self, widget_id: str, widget: Widget) -> None:
        self._widgets[widget_id] = widget
        self._widgets.move_to_end(widget_id)
        while len(self._widgets) > self._limit:
            self._widgets.popitem(last=False)

    def fits(self, state: WidgetState) -> bool:
        """Whether ``state`` is a value the widget it names could have sent."""
        widget = self._widgets.get(state.id)
        if widget is None:
            return False
        fields, check = RULES[widget.kind]
        field = state.WhichOneof("value")
        return field in fields and check(widget, state)

    def clean(self, data: bytes) -> bytes:
        """An incoming BackMsg without the widget states that fit no drawn widget.

        Returns ``data`` itself when nothing was dropped (or it is not a rerun: Streamlit
        judges other messages, and closes the connection on one it cannot parse).
        """
        message = BackMsg()
        try:
            message.ParseFromString(data)
        except Exception:
            return data
        if message.WhichOneof("type") != "rerun_script":
            return data
        states = message.rerun_script.widget_states.widgets
        kept = [state for state in states if self.fits(state)]
        if len(kept) == len(states):
            return data
        _LOGGER.warning(
            "Dropped %d of %d widget states that fit no control on this page.",
            len(states) - len(kept),
            len(states),
        )
        del states[:]
        states.extend(kept)
        return message.SerializeToString()
