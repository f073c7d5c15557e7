"""Training settings as named strings: a link round-trips, a bad value names its field."""

from __future__ import annotations

import pytest

from bilstm_lab.core.errors import TaskError
from bilstm_lab.core.tasks import DEFAULT_TASK, TASKS, TaskParams
from bilstm_lab.core.train_config import TASK_DEFAULTS, default_config
from bilstm_lab.core.train_fields import (
    FIELDS,
    check_page_value,
    config_from_fields,
    config_from_query,
    config_query,
    config_values,
)


def test_every_task_has_defaults_the_page_can_show() -> None:
    assert set(TASK_DEFAULTS) == set(TASKS)
    for key in TASKS:
        config = default_config(key)
        assert config.task == key
        for name, value in config_values(config).items():
            check_page_value(name, value)  # raises if a widget could not show it


@pytest.mark.parametrize("task", list(TASKS))
def test_a_link_reopens_the_same_run(task: str) -> None:
    config = default_config(task)
    assert config_from_query(config_query(config)) == (config, [])
    changed = config_from_fields(
        {"task": task, "seed": "7", "units": "64", "cell": "gru", "match_params": "true"}
    )
    assert config_from_query(config_query(changed)) == (changed, [])
    assert changed.seed == 7 and changed.units == 64 and changed.cell == "gru"


def test_a_link_without_settings_opens_the_default_task() -> None:
    assert config_from_query({}) == (default_config(DEFAULT_TASK), [])
    assert config_from_query({"lock": "1", "present": "1"}) == (default_config(DEFAULT_TASK), [])


def test_the_query_leaves_out_what_the_task_does_not_use() -> None:
    assert "k" not in config_query(default_config("reversal"))
    assert "target_delay" not in config_query(default_config("first_token"))
    query = config_query(default_config("look_ahead").with_changes(target_delay=2))
    assert query["k"] == "3" and query["target_delay"] == "2"
    assert next(iter(query)) == "task"


def test_fields_start_from_the_tasks_defaults() -> None:
    config = config_from_fields({"task": "look_ahead", "seq_len": "10"})
    assert config == default_config("look_ahead").with_changes(
        params=TaskParams(seq_len=10, k=3, vocab=8)
    )
    small = config_from_fields({"samples": "200"})  # the default task; batches never exceed it
    assert small.task == DEFAULT_TASK and small.batch_size <= 200


@pytest.mark.parametrize(
    ("fields", "field", "ending"),
    [
        ({"seq_len": "ten"}, "seq_len", "received 'ten'"),
        ({"learning_rate": "fast"}, "learning_rate", "received 'fast'"),
        ({"match_params": "maybe"}, "match_params", "received 'maybe'"),
        ({"task": "nope"}, "task", "received 'nope'"),
        ({"cell": "transformer"}, "cell", "received 'transformer'"),
        ({"epochs": "0"}, "epochs", "received 0"),
        ({"samples": "10"}, "samples", "received 10"),
        ({"task": "look_ahead", "k": "12", "seq_len": "8"}, "k", "received 12"),
        ({"task": "first_token", "target_delay": "2"}, "target_delay", "received 2"),
        ({"colour": "red"}, "colour", "received 'red'"),
    ],
)
def test_a_bad_value_names_its_field(fields: dict[str, str], field: str, ending: str) -> None:
    with pytest.raises(TaskError) as info:
        config_from_fields(fields)
    assert info.value.field == field
    assert str(info.value).startswith(field)
    assert str(info.value).endswith(ending)


def test_a_bad_link_falls_back_per_field_and_says_so() -> None:
    config, warnings = config_from_query(
        {
            "task": ["look_ahead"],
            "seq_len": "10",
            "epochs": "80",  # the CLI allows it; the page's slider stops at 40
            "units": "20",  # not one of the page's choices
            "seed": "-1",
            "bogus": "1",
            "lock": "1",
        }
    )
    assert config.task == "look_ahead" and config.params.seq_len == 10
    defaults = default_config("look_ahead")
    assert (config.epochs, config.units, config.seed) == (
        defaults.epochs,
        defaults.units,
        defaults.seed,
    )
    assert len(warnings) == 4
    assert warnings[0].startswith("epochs must be between 1 and 40, received 80")
    assert warnings[1].startswith("units must be one of 4, 8, 16, 32, 64, 128, received 20")
    assert warnings[2].startswith("seed must be between")
    assert "bogus" in warnings[3]


def test_values_that_do_not_combine_fall_back_one_at_a_time() -> None:
    config, warnings = config_from_query({"task": "look_ahead", "seq_len": "6", "k": "9"})
    assert config.params.seq_len == 6 and config.params.k == default_config("look_ahead").params.k
    assert warnings == [
        "k must be smaller than seq_len (6), received 9; using the task's default instead"
    ]


def test_a_hostile_link_never_raises() -> None:
    for value in ("", " ", "1e309", "nan", "-0", "0x10", "9" * 400, "\x00", "None"):
        for name in FIELDS:
            config, _ = config_from_query({name: value})
            assert config.task in TASKS


def test_cli_flags_are_the_field_names_with_dashes() -> None:
    assert FIELDS["seq_len"].flag == "--seq-len"
    assert FIELDS["learning_rate"].flag == "--learning-rate"
    assert FIELDS["k"].flag == "--k"
