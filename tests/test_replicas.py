"""Two replicas behind real nginx (`deploy.replicas`): one crashes, the classroom carries on.

Students' browsers (Playwright contexts) open the Explorer through nginx, two on each replica;
nginx's ``X-Upstream`` header says which replica answered. Then one replica and its workers are
killed (SIGKILL, as a crash). The test shows that the students on the other replica keep their
sessions (a control change reruns the page, over the same websocket), that new students land on
the survivor, and that the crashed replica's pages reconnect to the survivor by themselves,
where the next change reruns them. The summary it prints is what issue 14 quotes.
"""

from __future__ import annotations

import asyncio
import http.cookies
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from deploy.replicas import Deployment, Replica, render_config, replicas
from labharness.async_run import run_async
from labharness.browser import SESSION_VIEWPORT, chromium_available, launch_options
from labharness.browser_sessions import _wait_for_totals
from labharness.paths import ARTIFACTS
from labharness.server import free_port
from labharness.sessions import EXPLORER_PATH, UNITS_LABEL, expected_totals, session_spec

pytestmark = [pytest.mark.replicas, pytest.mark.browser]

STICKY_COOKIE = "bilstm_replica"
SESSIONS_PER_REPLICA = 2
NEW_SESSIONS = 2
TIMEOUT_MS = 120_000
SUMMARY = ARTIFACTS / "replicas" / "summary.txt"
CONNECTED = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
IDLE = f'{CONNECTED}[data-test-script-state="notRunning"]'


@dataclass
class Student:
    """One browser context on the Explorer, and the websockets its page opened."""

    index: int
    context: object
    page: object
    replica: str = ""
    sockets: list[str] = field(default_factory=list)
    #: For each script run the page saw finish, which of its websockets (1 = the first) it was on.
    runs: list[int] = field(default_factory=list)
    units: int = 0

    def watch(self, socket: object) -> None:
        """Record a websocket the page opened, and every script run finished over it."""
        self.sockets.append(socket.url)  # type: ignore[attr-defined]
        number = len(self.sockets)

        def frame(payload: str | bytes) -> None:
            message = ForwardMsg()
            message.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
            # A run cut short by st.rerun() is followed by another: count the last one only.
            if message.WhichOneof("type") == "script_finished" and (
                message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
            ):
                self.runs.append(number)

        socket.on("framereceived", frame)  # type: ignore[attr-defined]


def _upstream(header: str | None) -> str:
    """The replica that answered, from nginx's ``X-Upstream`` header.

    After a failover nginx lists every replica it tried: the last one answered.
    """
    return (header or "").split(",")[-1].strip()


def _sticky_keys(url: str, members: list[Replica], per_replica: int) -> dict[str, list[str]]:
    """Cookies nginx issued to cookie-less requests, ``per_replica`` for each replica.

    nginx routes a new browser by a random key, so which replica it gets is chance; asking
    nginx for keys first and giving each student one puts two students on each replica for sure.
    """
    keys: dict[str, list[str]] = {replica.address: [] for replica in members}
    for _ in range(200):
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as response:
            cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie.load(header)
            answered = _upstream(response.headers.get("X-Upstream"))
        if len(keys[answered]) < per_replica:
            keys[answered].append(cookie[STICKY_COOKIE].value)
        if all(len(found) == per_replica for found in keys.values()):
            return keys
    raise AssertionError(f"nginx never routed a new browser to some replica: {keys}")


async def _open(browser: object, url: str, index: int, key: str | None) -> Student:
    """A student opens the Explorer with its own model; ``key``: the sticky cookie, if any."""
    context = await browser.new_context(viewport=SESSION_VIEWPORT)  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    if key is not None:
        await context.add_cookies([{"name": STICKY_COOKIE, "value": key, "url": url}])
    student = Student(index, context, await context.new_page())
    student.page.on("websocket", student.watch)  # type: ignore[attr-defined]
    spec = session_spec(index)
    response = await student.page.goto(  # type: ignore[attr-defined]
        f"{url}{EXPLORER_PATH}?{urlencode(spec.to_query())}", timeout=TIMEOUT_MS
    )
    student.replica = _upstream(await response.header_value("x-upstream"))
    student.units = spec.units[0]
    await _wait_for_totals(student.page, spec)
    await _until(lambda: 1 in student.runs, "finished script run")
    return student


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} in {TIMEOUT_MS / 1000:.0f} s")
        await asyncio.sleep(0.1)


def _reconnected(student: Student) -> bool:
    return len(student.sockets) > 1


def _ran_after_reconnecting(student: Student) -> bool:
    return any(number > 1 for number in student.runs)


async def _change_units(student: Student) -> None:
    """Change the units box and wait for the page to show the new model's totals (a rerun)."""
    student.units += 1
    box = student.page.get_by_label(UNITS_LABEL, exact=True)  # type: ignore[attr-defined]
    await box.fill(str(student.units))
    await box.press("Enter")
    await _wait_for_totals(student.page, session_spec(student.index, student.units))


async def _routed_to(student: Student, url: str) -> str:
    """Where nginx sends this browser's requests now (its cookie, its replica)."""
    response = await student.context.request.get(f"{url}/_stcore/health")  # type: ignore[attr-defined]
    return _upstream(response.headers.get("x-upstream"))


def _totals(student: Student) -> str:
    return " / ".join(expected_totals(session_spec(student.index, student.units)))


async def _scenario(deployment: Deployment) -> list[str]:
    from playwright.async_api import async_playwright

    url = deployment.url
    victim, survivor = deployment.replicas
    keys = _sticky_keys(url, deployment.replicas, SESSIONS_PER_REPLICA)
    started = time.monotonic()
    lines: list[str] = []

    def say(text: str) -> None:
        lines.append(f"[{time.monotonic() - started:5.1f} s] {text}")
        with SUMMARY.open("a") as summary:  # as it happens: a run that hangs shows where
            summary.write(lines[-1] + "\n")

    say(f"replicas behind nginx {url}: {victim.address} and {survivor.address}")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options(crowd=True))
        try:
            order = [key for pair in zip(*keys.values(), strict=True) for key in pair]
            students = await asyncio.gather(
                *(_open(browser, url, i, k) for i, k in enumerate(order))
            )
            home = {key: address for address, found in keys.items() for key in found}
            for student in students:  # each went where nginx sent its cookie before
                assert student.replica == home[order[student.index]] and student.sockets, student
                say(
                    f"student {student.index} on {student.replica}: Explorer shows {_totals(student)}"
                )
            assert {s.replica for s in students} == {victim.address, survivor.address}

            victim.kill()
            say(f"killed replica {victim.address} and its workers (SIGKILL)")
            on_victim = [s for s in students if s.replica == victim.address]
            on_survivor = [s for s in students if s.replica == survivor.address]

            for student in on_survivor:
                await _change_units(student)
                assert len(student.sockets) == 1, f"student {student.index} reconnected"
                assert await _routed_to(student, url) == survivor.address
                say(
                    f"student {student.index} on {survivor.address}: units -> {student.units}, "
                    f"page reran and shows {_totals(student)}, same websocket"
                )

            newcomers = await asyncio.gather(
                *(_open(browser, url, len(students) + i, None) for i in range(NEW_SESSIONS))
            )
            for student in newcomers:
                assert student.replica == survivor.address, student
                cookies = await student.context.cookies()  # type: ignore[attr-defined]
                assert STICKY_COOKIE in {cookie["name"] for cookie in cookies}
                await _change_units(student)
                say(
                    f"new student {student.index} -> {student.replica} (nginx's cookie), "
                    f"units -> {student.units}: {_totals(student)}"
                )

            for student in on_victim:
                # The page reconnects by itself, through nginx, to the survivor: a new session
                # there (the old one died with its replica), and the page keeps showing what it
                # showed. The student's next change reruns it on the survivor.
                await _until(partial(_reconnected, student), "reconnection")
                await student.page.wait_for_selector(CONNECTED)  # type: ignore[attr-defined]
                assert await _routed_to(student, url) == survivor.address
                wanted = student.units + 1
                box = student.page.get_by_label(UNITS_LABEL, exact=True)  # type: ignore[attr-defined]
                await box.fill(str(wanted))
                await box.press("Enter")
                await _until(partial(_ran_after_reconnecting, student), "run on the new session")
                await student.page.wait_for_selector(IDLE)  # type: ignore[attr-defined]
                # A session's first run takes the model from the URL (the Explorer's rule), so
                # this first change may be replaced by the model the page showed: read it back.
                student.units = int(await box.input_value())
                await _wait_for_totals(student.page, session_spec(student.index, student.units))
                first = "kept" if student.units == wanted else "replaced by the URL's model"
                await _change_units(student)
                say(
                    f"student {student.index} (was on {victim.address}): page reconnected to "
                    f"{survivor.address} by itself; first change reran there ({first}); "
                    f"units -> {student.units}: {_totals(student)}"
                )
        finally:
            await browser.close()
    return lines


def _nginx() -> str:
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")
    if nginx is None:
        pytest.skip("nginx not found (apt-get install nginx)")
    return nginx


def test_rendered_config_is_valid_nginx(tmp_path: Path) -> None:
    """What the launcher writes passes ``nginx -t``, with every placeholder filled in."""
    nginx = _nginx()
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_config("127.0.0.1:8610", [8611, 8612, 8613], tmp_path, 65))
    text = conf.read_text()
    assert re.search(r"@[A-Z_]+@", text) is None, "a placeholder was left"
    assert text.count("max_fails=1") == 3 and "client_max_body_size 65m;" in text
    check = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_sessions_survive_a_replica_crash(capsys: pytest.CaptureFixture[str]) -> None:
    """Kill one of two replicas: its students move to the survivor, the others never notice."""
    _nginx()
    if not chromium_available():
        pytest.skip("Chromium not found (apt-get install chromium)")
    pytest.importorskip("playwright.async_api")
    directory = ARTIFACTS / "replicas"  # the config and every log stay for a failed run
    begun = time.monotonic()
    with replicas([free_port(), free_port()], free_port(), directory=directory) as deployment:
        ready = f"2 replicas (1 worker each) and nginx healthy in {time.monotonic() - begun:.1f} s"
        SUMMARY.write_text(ready + "\n")
        lines = [ready, *run_async(_scenario(deployment))]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
