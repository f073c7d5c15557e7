"""The package as a user installs it: a wheel, its ``bilstm-lab`` command, the API and the app.

The wheel is built from a copy of the checkout (``pip wheel`` writes ``build/`` and
``*.egg-info`` next to the sources) and installed with ``--no-deps`` into a virtual environment
made with ``--system-site-packages``: the pinned dependencies (TensorFlow, Streamlit, …) are
this machine's, which keeps the test fast, while ``bilstm_lab`` itself comes only from the
wheel (checked below). Everything then runs from an unrelated directory, where no checkout
(and no ``.streamlit/config.toml``) is in reach.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import keras
import pytest

from bilstm_lab.ui.common import PAGES
from labharness.paths import ARTIFACTS
from labharness.server import free_port, start_streamlit, stop_process
from tests.conftest import ROOT
from tests.keras_facts import keras_layer_facts
from tests.test_api import readme_python_example

pytestmark = pytest.mark.slow

#: What the wheel is built from: the checkout without its caches, artifacts and history.
_NOT_SOURCES = shutil.ignore_patterns(
    ".git", "test-artifacts", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
    ".hypothesis", ".import_linter_cache",
)  # fmt: skip


@dataclass(frozen=True)
class Installed:
    """A wheel, a virtual environment it is installed in, and a directory far from the checkout."""

    wheel: Path
    venv: Path
    elsewhere: Path

    def bin(self, name: str) -> str:
        """The path of one of the environment's commands."""
        return str(self.venv / "bin" / name)

    def run(self, *argv: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        """Run a command from the unrelated directory, without the checkout on the path."""
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        return subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            cwd=self.elsewhere,
            env={**env, "TF_CPP_MIN_LOG_LEVEL": "3"},
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("packaging")
    source, dist, venv, elsewhere = (root / name for name in ("src", "dist", "venv", "elsewhere"))
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCES, symlinks=True)
    elsewhere.mkdir()

    def check(*argv: str) -> None:
        result = subprocess.run(list(argv), capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr

    check(sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(dist), "-q")
    (wheel,) = dist.glob("bilstm_lab-*.whl")
    check(sys.executable, "-m", "venv", "--system-site-packages", str(venv))
    check(str(venv / "bin" / "pip"), "install", "--no-deps", "-q", str(wheel))
    return Installed(wheel, venv, elsewhere)


def test_wheel_holds_the_package_its_app_and_the_pinned_dependencies(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as archive:
        names = set(archive.namelist())
        info = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"bilstm_lab", info.split("/", 1)[0]}  # no tests/, labharness/, app.py
    app_files = {
        "bilstm_lab/ui/app.py",
        "bilstm_lab/ui/launch.py",
        "bilstm_lab/ui/streamlit_config.toml",
    }
    assert app_files <= names
    assert {f"bilstm_lab/ui/page_scripts/{page.script}" for page in PAGES} <= names
    pins = [
        line.split("#", 1)[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]
    assert re.findall(r"^Requires-Dist: (.+)$", metadata, flags=re.M) == pins
    scripts = configparser.ConfigParser()
    scripts.read_string(entry_points)
    assert dict(scripts["console_scripts"]) == {"bilstm-lab": "bilstm_lab.cli.main:main"}


def test_installed_copy_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    result = installed.run(
        installed.bin("python"), "-c", "import bilstm_lab; print(bilstm_lab.__file__)"
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed.venv)


def _stacked_classifier(bidirectional: bool) -> keras.Model:
    """The stacked-LSTM text classifier preset, written out in plain Keras."""

    def wrap(layer: keras.layers.Layer) -> keras.layers.Layer:
        return keras.layers.Bidirectional(layer) if bidirectional else layer

    return keras.Sequential(
        [
            keras.Input((20,), dtype="int32"),
            keras.layers.Embedding(10_000, 128),
            wrap(keras.layers.LSTM(64, return_sequences=True)),
            wrap(keras.layers.LSTM(32)),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def test_installed_command_summary_json_is_real_keras(installed: Installed) -> None:
    result = installed.run(
        installed.bin("bilstm-lab"), "summary", "--preset", "stacked-classifier", "--json"
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    for key, bidirectional in (("unidirectional", False), ("bidirectional", True)):
        model = _stacked_classifier(bidirectional)
        facts = keras_layer_facts(model)
        variant = payload[key]
        assert variant["total_params"] == model.count_params()
        assert [layer["params"] for layer in variant["layers"]] == [f.params for f in facts]
        assert [layer["output_shape"] for layer in variant["layers"]] == [
            [list(shape) for shape in f.output_shapes]
            if len(f.output_shapes) > 1
            else list(f.output_shapes[0])
            for f in facts
        ]


def test_installed_command_reports_bad_input_in_one_line(installed: Installed) -> None:
    result = installed.run(installed.bin("bilstm-lab"), "summary", "--units", "0")
    assert result.returncode == 2
    assert result.stderr == "bilstm_lab: error: units must be between 1 and 4096, received 0\n"


def test_installed_api_runs_the_readme_example(installed: Installed) -> None:
    code = readme_python_example()
    lines = code.splitlines()
    expected = [
        lines[i + 1].removeprefix("# ")
        for i, line in enumerate(lines[:-1])
        if line.startswith("print(")
    ]
    result = installed.run(installed.bin("python"), "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected


def test_installed_app_answers_health_checks_from_anywhere(
    installed: Installed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("BILSTM_LAB_WORKERS", "1")  # one warm TensorFlow worker is enough here
    log = ARTIFACTS / "streamlit-installed-app.log"
    # start_streamlit returns once /_stcore/health answers 200, and raises if it never does.
    process = start_streamlit(
        free_port(), log, command=[installed.bin("bilstm-lab"), "app"], cwd=installed.elsewhere
    )
    try:
        assert process.poll() is None
    finally:
        stop_process(process)
