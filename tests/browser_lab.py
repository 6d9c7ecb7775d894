"""Drive JupyterLab in headless Chromium as a learner does (used by tests/test_browser.py).

A `Lab` is a JupyterLab server on 127.0.0.1 (a free port, a random token) over a temporary copy
of the notebooks, so nothing under notebooks/ changes. A `Browser` is headless Chromium under
Debian's chromedriver. Both stop whatever they started, children included, in `close()`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

INSTALL_HINT = (
    "The browser test needs Chromium and its driver: on Debian/Ubuntu run "
    "`sudo apt-get install chromium chromium-driver` (CI's .ci/run does it for you), and "
    "`pip install -r requirements-dev.txt` for selenium."
)


# The parts tests/test_browser.py runs; that run is also their online run (tests/online.py).
IN_THE_BROWSER = {
    1: "01_hello_gpu.ipynb",
    8: "08_hub_and_heavyweights.ipynb",
    9: "09_capstone_app.ipynb",
}


def missing() -> str | None:
    """What this machine lacks for the browser test, with how to install it; None if nothing."""
    chrome, driver = find_browser()
    gone = [
        n for n, p in (("chromium", chrome), ("chromedriver (chromium-driver)", driver)) if not p
    ]
    try:
        import selenium  # noqa: F401
    except ImportError:
        gone.append("selenium")
    return f"missing: {', '.join(gone)}. {INSTALL_HINT}" if gone else None


def find_browser() -> tuple[str | None, str | None]:
    """Paths of a Chromium binary and of chromedriver, or None for each one missing."""
    chrome = next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
    )
    return chrome, shutil.which("chromedriver")


def free_port() -> int:
    """A TCP port the OS says is free on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_tree(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a process, its process group and every descendant (kernels run in their own group)."""
    import psutil

    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    for p in family:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(family, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=grace)


class Lab:
    """A JupyterLab server over ``root`` (a temporary folder), started with this Python, in
    ``env`` (default: this process's environment); its kernels inherit that environment."""

    def __init__(self, root: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.root, self.port, self.token = root, free_port(), secrets.token_hex(24)
        home = root.parent / "jupyter-home"
        settings = home / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        # no "news?" toast over the notebook, no update check (there is no internet)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        env = dict(
            os.environ if env is None else env,
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        )
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            "--ServerApp.open_browser=False",
        ]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready(log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET") -> Any:
        req = urllib.request.Request(
            f"{self.url}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def _wait_ready(self, log: Path, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited ({self.proc.returncode}):\n{log.read_text()[-3000:]}"
                )
            try:
                self.api("status")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(
            f"JupyterLab did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}"
        )

    def kernels(self) -> list[dict]:
        return self.api("kernels")

    def shutdown_kernels(self) -> None:
        for k in self.kernels():
            self.api(f"kernels/{k['id']}", method="DELETE")

    def close(self) -> None:
        try:
            self.shutdown_kernels()
        except OSError:
            pass
        _stop_tree(self.proc)
        self._log.close()


class Browser:
    """Headless Chromium through selenium and Debian's chromedriver (no driver download)."""

    def __init__(self, chrome: str, driver: str, log: Path) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        opts = webdriver.ChromeOptions()
        opts.binary_location = chrome
        for arg in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--window-size=1400,1000",
            "--no-first-run",
            "--disable-extensions",
        ):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service(executable_path=driver, log_output=str(log))
        self.driver = webdriver.Chrome(service=self.service, options=opts)
        self.driver.set_script_timeout(30)

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def wait(self, what: str, test: Callable[[], Any], timeout: float, every: float = 0.2) -> Any:
        """Poll ``test`` until it returns something truthy; fail saying ``what`` did not happen."""
        end, last = time.monotonic() + timeout, None
        while time.monotonic() < end:
            try:
                last = test()
            except Exception as e:  # a stale element while JupyterLab re-renders: try again
                last = e
            else:
                if last:
                    return last
            time.sleep(every)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            self.service.stop()


# ---- JupyterLab, as the learner sees it -----------------------------------------------------

CELL_STATES = """
return Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell'))
  .map(c => ({code: c.classList.contains('jp-CodeCell'),
              prompt: (c.querySelector('.jp-InputPrompt') || {}).textContent || ''}));
"""

OUTPUTS = """
const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell'));
return cells.map((c, i) => ({
  index: i,
  stderr: Array.from(c.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], '
                                        + '.jp-OutputArea-output [data-mime-type="application/vnd.jupyter.stderr"]'))
            .map(e => e.innerText),
  images: Array.from(c.querySelectorAll('.jp-OutputArea-output img'))
            .map(im => ({ok: im.complete && im.naturalWidth > 0, w: im.naturalWidth,
                         shown: im.offsetParent !== null, widget: !!im.closest('.jupyter-widgets')})),
}));
"""


def open_notebook(b: Browser, lab: Lab, name: str) -> None:
    """Open one notebook in JupyterLab's single-document URL and wait for its kernel."""
    # ?reset: a fresh workspace, so the part opened before is not restored beside this one
    b.driver.get(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    b.wait(f"{name} to render its cells", lambda: len(b.js(CELL_STATES)) > 3, 90)
    tabs = b.js("return Array.from(document.querySelectorAll('.jp-NotebookPanel')).map(p => p.id)")
    assert len(tabs) == 1, f"expected only {name} open, JupyterLab shows {len(tabs)} notebooks"
    b.wait(
        f"{name}'s kernel status in the toolbar",
        lambda: b.js(
            "const s = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');"
            "return s && s.getAttribute('data-status') === 'idle';"
        ),
        90,
    )
    b.wait(
        f"{name}'s kernel to start",
        lambda: [k for k in lab.kernels() if k["execution_state"] == "idle"],
        90,
    )


def click_menu(b: Browser, menu: str, item: str) -> None:
    """Click a top menu (``Run``) and one of its items (``Run All Cells``), as a learner does."""
    _labelled(b, ".lm-MenuBar-itemLabel", menu, f"the {menu!r} menu", 30).click()
    _labelled(b, ".lm-Menu-content .lm-Menu-itemLabel", item, f"the {item!r} menu item", 10).click()


def _labelled(b: Browser, css: str, label: str, what: str, timeout: float):
    """Wait (``timeout`` seconds) for an element matching ``css`` whose text is ``label``."""
    from selenium.webdriver.common.by import By

    found = b.wait(
        what,
        lambda: [
            e for e in b.driver.find_elements(By.CSS_SELECTOR, css) if e.text.strip() == label
        ],
        timeout,
    )
    return found[0]


def run_all(b: Browser, lab: Lab, timeout: float) -> float:
    """Run → Run All Cells, then wait until every code cell has run and the kernel is idle.

    Returns the seconds it took. Fails naming the first cell that did not run (an error stops
    Run All, and the cells after it keep an empty prompt).
    """
    start = time.monotonic()
    click_menu(b, "Run", "Run All Cells")
    b.wait(
        "Run All to start",
        lambda: (
            any("*" in c["prompt"] for c in b.js(CELL_STATES))
            or all(c["prompt"].strip() not in ("[ ]:", "") for c in b.js(CELL_STATES) if c["code"])
        ),
        30,
        0.05,
    )

    def finished() -> bool:
        states = b.js(CELL_STATES)
        if any("*" in c["prompt"] for c in states):
            return False
        return all(k["execution_state"] == "idle" for k in lab.kernels())

    b.wait("every cell to finish (no [*] left, kernel idle)", finished, timeout, 0.5)
    seconds = time.monotonic() - start
    states = b.js(CELL_STATES)
    not_run = [
        i for i, c in enumerate(states) if c["code"] and not any(ch.isdigit() for ch in c["prompt"])
    ]
    assert not not_run, (
        f"Run All stopped: cells {not_run} have no execution count (an earlier cell failed?)"
    )
    return seconds


def outputs(b: Browser) -> list[dict]:
    """Per cell: the text of each stderr box and the state of each image (scrolled into view first)."""
    b.js(
        "document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img')"
        ".forEach(im => im.scrollIntoView());"
    )
    return b.js(OUTPUTS)


def cell_element(b: Browser, index: int):
    """The DOM element of cell ``index`` of the open notebook."""
    cells = b.driver.find_elements(
        "css selector", ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"
    )
    return cells[index]


def console_errors(b: Browser) -> list[str]:
    """The browser console's SEVERE messages since the last call."""
    return [e["message"] for e in b.driver.get_log("browser") if e.get("level") == "SEVERE"]
