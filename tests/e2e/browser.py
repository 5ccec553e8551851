"""A headless Chromium driven over the DevTools protocol, for tests of Herald's pages.

The system's ``chromium`` (Debian's package) is started with
``--remote-debugging-pipe``: commands go in on its fd 3 and answers come out on
fd 4 as NUL-terminated JSON, so no WebSocket client and no downloaded browser
are needed. Input is real input (mouse events at an element's place), so a
test clicks what a person would click.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.conftest import eventually

BROWSER_NAMES = ("chromium", "chromium-browser")


# Puts the pipe ends on the fds the browser expects, then becomes the browser.
_ON_FDS_3_AND_4 = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


def find_chromium() -> str | None:
    return next((path for name in BROWSER_NAMES if (path := shutil.which(name))), None)


class BrowserError(RuntimeError):
    pass


class Browser:
    def __init__(
        self, executable: str, profile_dir: Path, log: Path, timeout_s: float = 20.0
    ) -> None:
        self.timeout_s = timeout_s
        self._log = log.open("ab")
        commands_in, self._commands = os.pipe()  # we write, the browser reads (its fd 3)
        self._answers, answers_out = os.pipe()  # the browser writes (its fd 4), we read
        launch = [
            executable,
            "--headless=new",
            "--no-sandbox",  # root in a container has no user namespace to sandbox with
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile_dir}",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ON_FDS_3_AND_4, str(commands_in), str(answers_out), *launch],
            pass_fds=(commands_in, answers_out),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        os.close(commands_in)
        os.close(answers_out)
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None
        # Each page's window size, where a test set one (screenshots put it back).
        self._viewports: dict[str | None, tuple[int, int]] = {}

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        for fd in (self._commands, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("no answer from the browser in time")
            ready, _, _ = select.select([self._answers], [], [], left)
            if ready:
                chunk = os.read(self._answers, 65536)
                if not chunk:
                    raise BrowserError("the browser closed its pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Sends one command (to the page, once attached) and returns its result."""
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            command["sessionId"] = self.session
        os.write(self._commands, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            message = self._read_message(deadline)  # events in between are not needed
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def open(self, url: str, lands_on: str | None = None) -> None:
        """A new page, attached to, at ``url`` (or where it redirects: ``lands_on``), once it
        has loaded."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        landing = json.dumps(lands_on or url)
        self.wait_for(f"location.href === {landing} && document.readyState === 'complete'")

    def switch_to(self, session: str) -> None:
        """Drives the page of ``session`` from now on, brought to the front as a person's
        click on its tab would (a page behind others gets no animation frames)."""
        self.session = session
        self.call("Page.bringToFront")

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        """The value of a JavaScript expression in the page (DevTools, not the page's own:
        the page's policy does not apply); with ``await_promise``, what its promise gives."""
        answer = self.call(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=await_promise,
        )
        if "exceptionDetails" in answer:
            raise BrowserError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, condition: str) -> None:
        eventually(lambda: self.evaluate(f"Boolean({condition})"), self.timeout_s, condition)

    def click(self, selector: str) -> None:
        """A left click at the middle of the element, as a mouse would."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left",
                clickCount=1,
            )

    def press_enter(self, selector: str) -> None:
        """Focuses the element, as Tab would, then presses Enter on the keyboard."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        for kind in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                **({"text": "\r"} if kind == "keyDown" else {}),
            )

    def type_into(self, selector: str, text: str) -> None:
        """Focuses the field, as a click would, then types ``text`` into it."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)

    def set_viewport(self, width: int, height: int) -> None:
        """The page's window, ``width`` by ``height`` CSS pixels, as a desktop's (a mouse,
        no touch): where the pointer's coordinates land."""
        self._viewports[self.session] = (width, height)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def screenshot(self, path: Path, width: int = 1280, whole_page: bool = True) -> None:
        """The whole page, ``width`` CSS pixels wide, as a PNG at ``path``; or, not
        ``whole_page``, the window as it is (nothing resized, so hover stays)."""
        if not whole_page:
            shot = self.call("Page.captureScreenshot", format="png")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(shot["data"]))
            return

        def size(height: int) -> None:
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )

        size(600)  # laid out at this width first, then as tall as the page is there
        size(int(self.evaluate("document.documentElement.scrollHeight")))
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        if self.session in self._viewports:
            self.set_viewport(*self._viewports[self.session])
        else:
            self.call("Emulation.clearDeviceMetricsOverride")

    def accessible_names(self, role: str) -> list[str]:
        """The names assistive technology announces for every node of ``role``."""
        nodes = self.call("Accessibility.getFullAXTree")["nodes"]
        return [
            str(node.get("name", {}).get("value", ""))
            for node in nodes
            if node.get("role", {}).get("value") == role and not node.get("ignored")
        ]
