"""Headless Chromium driven over the DevTools protocol on a pipe: no library, no port, no websocket.

`chromium --remote-debugging-pipe` reads protocol commands (JSON, each ending in a NUL byte) on file
descriptor 3 and writes answers and events on descriptor 4. `Browser` starts it with two pipes on those
descriptors, opens one page (a target attached in "flat" mode, so commands name its session), and offers
what the report tests need: set the viewport width, load a file and wait for its fonts, evaluate a
script in the page, take a full-page PNG screenshot, print to PDF as the browser's print dialog would.

The page under test never runs our script through a `<script>` tag: `evaluate` runs it from outside, so
the report itself stays script-free.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT = 90.0  # seconds for one protocol answer: the machine is shared, and a first start is slow


class ProtocolError(AssertionError):
    """Chromium answered a command with an error, or did not answer in time."""


class Browser:
    """One headless Chromium with one page. Use as a context manager; it is killed on the way out."""

    def __init__(self, profile: Path, *, binary: Path = CHROMIUM, env: dict[str, str] | None = None) -> None:
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def descriptors_3_and_4() -> None:  # runs in the child between fork and exec
            # Copies first: dup2 onto the same number is a no-op that would leave it close-on-exec.
            reads, writes = os.dup(to_child), os.dup(from_child)
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        self._process = subprocess.Popen(
            [
                str(binary),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-extensions",
                "--no-first-run",
                "--hide-scrollbars",
                "--font-render-hinting=none",  # the same glyph shapes whatever the host's hinting settings
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=descriptors_3_and_4,
            close_fds=False,  # the pipes' own descriptors are close-on-exec; the copies on 3 and 4 are not
            env=env,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.page("Page.enable")
        self.page("Runtime.enable")

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for fd in (self._write, self._read):
            with contextlib.suppress(OSError):  # already closed
                os.close(fd)
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait(30)

    # ------------------------------------------------------------------ the protocol

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise ProtocolError("no answer from chromium in time")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise ProtocolError(f"chromium closed the pipe (exit code {self._process.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None) -> Any:
        """Send one command and return its result (events that arrive meanwhile go to `self.events`)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise ProtocolError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def page(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """A command to the page's session."""
        return self.call(method, params, session=self._session)

    def wait_for(self, event: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, seen in enumerate(self.events):
                if seen.get("method") == event:
                    return self.events.pop(i)
            self.events.append(self._receive(deadline))

    # ------------------------------------------------------------------ what the tests use

    def open(self, file: Path, *, width: int, height: int = 1000, media: str = "screen") -> None:
        """Load `file` in a `width` x `height` CSS-pixel viewport (scale 1), media `screen` or `print`,
        and wait until it has loaded and its fonts are ready."""
        self.page(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.page("Emulation.setEmulatedMedia", {"media": media})
        self.events.clear()
        self.page("Page.navigate", {"url": file.resolve().as_uri()})
        self.wait_for("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited, results returned by value)."""
        result = self.page("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in result:
            raise ProtocolError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, out: Path, *, clip_height: int | None = None) -> bytes:
        """A PNG of the whole page (or its first `clip_height` pixels) at the viewport's width."""
        width, height = self.evaluate("[document.documentElement.clientWidth, document.documentElement.scrollHeight]")
        clip = {"x": 0, "y": 0, "width": width, "height": min(height, clip_height or height), "scale": 1}
        data = base64.b64decode(
            self.page("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})["data"]
        )
        out.write_bytes(data)
        return data

    def print_pdf(self, out: Path) -> bytes:
        """The page printed as the print dialog would, on the paper its CSS asks for (`@page size`)."""
        data = base64.b64decode(
            self.page("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})["data"]
        )
        out.write_bytes(data)
        return data
