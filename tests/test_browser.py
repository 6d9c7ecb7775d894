"""Parts 1, 8 and 9 in JupyterLab in headless Chromium, run and used as a learner does on Colab.

JupyterLab runs on 127.0.0.1 (a free port, a random token) over a temporary copy of the
notebooks, online as on Colab: for each part a fresh Hub emulator (tests/hub_emulator.py), an
empty HF_HOME, no token (tests/online.py's online_env). Each part is opened, run with Run → Run
All Cells, and checked on screen: every plt.show() cell shows an image, no output holds a
traceback or an unexplained stderr box; in Part 8 the memory calculator follows its controls, in
Part 9 the app answers and refuses empty input. This is also these parts' online run: the
emulator's log must show what tests/test_online_notebooks.py checks for the other six
(check_went_online). Screenshots and Run-All times go to .artifacts/browser/. Nothing is left
running.

Needs Debian's chromium and chromium-driver, and selenium (requirements-dev.txt). Without them
the test skips on a laptop (and test_online_notebooks.py runs these parts online headless) and
fails in CI (CI set), saying how to install them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests import browser_lab as bl
from tests.hub_emulator import HubEmulator
from tests.online import cell_sources, check_went_online, online_env

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / ".artifacts" / "browser"
PARTS = bl.IN_THE_BROWSER
REAL_HUB = os.environ.get("COURSE_REAL_HUB") == "1"  # the GPU runner: the real Hub, no emulator
RUN_ALL_TIMEOUT = 300  # seconds per notebook; on 2 cores beside the nbval run they take far less

# stderr a learner does see and the course explains (Part 1 says what these bars are)
EXPECTED_STDERR = [
    re.compile(r"^Loading weights:.*\|"),  # transformers' progress bar while it reads the weights
    # accelerate's offload notice: Part 8 section 4 says it is expected (hooks fetch each
    # offloaded layer just before it runs); its Going deeper map by hand offloads too
    re.compile(r"^Some parameters are on the meta device because they were offloaded"),
    # transformers 5's notice for the old argument name: Part 8's Going deeper shows it on purpose
    re.compile(r"`torch_dtype` is deprecated! Use `dtype` instead!"),
]


@pytest.fixture(scope="module")
def tools():
    problem = bl.missing()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test, but {problem}", pytrace=False)
        pytest.skip(problem)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return bl.find_browser()


@pytest.fixture
def lab(tools, tmp_path, request):
    """JupyterLab for one part, as a new Colab session: its own emulator and an empty HF_HOME."""
    root = tmp_path / "notebooks"
    root.mkdir()
    for name in PARTS.values():
        shutil.copy2(NOTEBOOKS / name, root / name)
    shutil.copytree(NOTEBOOKS / "assets", root / "assets")
    log = ARTIFACTS / f"jupyterlab-{request.node.name}.log"
    home = tmp_path / "hf-home"
    with contextlib.nullcontext() if REAL_HUB else HubEmulator() as hub:
        env = None if hub is None else online_env(hub.url, home)
        if env is not None:
            env.pop("CI", None)  # as on Colab (tests/test_online_notebooks.py does the same)
        server = bl.Lab(root, log, env)
        server.hub, server.home = hub, home
        yield server
        server.close()


@pytest.fixture
def browser(tools, lab):
    chrome, driver = tools
    b = bl.Browser(chrome, driver, ARTIFACTS / "chromedriver.log")
    yield b
    b.close()


def _record_time(part: int, seconds: float) -> None:
    path = ARTIFACTS / "run_all_seconds.json"
    times = json.loads(path.read_text()) if path.exists() else {}
    times[PARTS[part]] = round(seconds, 1)
    path.write_text(json.dumps(times, indent=1) + "\n")
    print(f"Run All of {PARTS[part]} in the browser: {seconds:.1f} s")


def run_part(b: bl.Browser, lab: bl.Lab, part: int) -> list[dict]:
    """Open a part, Run All, check what the learner sees; return the per-cell outputs."""
    bl.open_notebook(b, lab, PARTS[part])
    _record_time(part, bl.run_all(b, lab, RUN_ALL_TIMEOUT))
    seen = bl.outputs(b)
    sources = cell_sources(PARTS[part])
    assert len(seen) == len(sources), (
        "the browser shows a different number of cells than the file holds"
    )
    problems = []
    for cell, source in zip(seen, sources, strict=False):
        where = f"{PARTS[part]} cell {cell['index']}"
        if "plt.show()" in source and not any(
            im["ok"] and im["shown"] for im in cell["images"] if not im["widget"]
        ):
            problems.append(f"{where} calls plt.show() but shows no image: {cell['images']}")
        broken = [im for im in cell["images"] if im["shown"] and not im["ok"]]
        if broken:
            problems.append(f"{where} shows a broken image: {broken}")
        for box in cell["stderr"]:
            odd = [
                ln
                for ln in box.splitlines()
                if ln.strip() and not any(p.search(ln) for p in EXPECTED_STDERR)
            ]
            if odd:
                problems.append(f"{where} shows an unexplained stderr box or traceback: {odd[:6]}")
    assert not problems, "\n".join(problems)
    if lab.hub is not None:  # this was the part's online run too
        check_went_online(PARTS[part], list(lab.hub.requests), list(lab.hub.unhandled), lab.home)
    return seen


def test_part1_runs_clean_in_jupyterlab(browser, lab):
    run_part(browser, lab, 1)


# ---- Part 8: the memory calculator, used with mouse and keyboard ----------------------------

LATENCY = re.compile(r"\d+(\.\d+)?\s*(ms|s)\b")


def _widget_box(b: bl.Browser, part: int, needle: str):
    """The widget box shown under the first cell whose source holds ``needle``."""
    index = next(i for i, src in enumerate(cell_sources(PARTS[part])) if needle in src)
    cell = bl.cell_element(b, index)
    b.js("arguments[0].scrollIntoView()", cell)
    return b.wait(
        f"the widgets of cell {index}",
        lambda: cell.find_elements("css selector", ".widget-vbox"),
        30,
    )[0]


def _text_tab(b: bl.Browser):
    """Part 9's app is a Tab (Chat, Text, Image): open the Text tab and return its box."""
    index = next(i for i, src in enumerate(cell_sources(PARTS[9])) if "app = widgets.Tab(" in src)
    cell = bl.cell_element(b, index)
    b.js("arguments[0].scrollIntoView()", cell)
    tabs = b.wait(
        "the app's tabs", lambda: cell.find_elements("css selector", ".lm-TabBar-tab"), 30
    )
    next(t for t in tabs if t.text.strip() == "Text").click()

    def shown():
        boxes = cell.find_elements("css selector", ".widget-tab-contents .widget-vbox")
        return [
            v for v in boxes if v.is_displayed() and v.find_elements("css selector", "textarea")
        ]

    return b.wait("the Text tab", shown, 30)[0]


def _control(box, kind: str, description: str):
    """The input of the control of class ``widget-<kind>`` whose label reads ``description``."""
    for el in box.find_elements("css selector", f".widget-{kind}"):
        labels = el.find_elements("css selector", "label.widget-label")
        if labels and labels[0].get_attribute("textContent").strip() == description:
            return el
    raise AssertionError(f"no {kind} control labelled {description!r} in the calculator")


def _commit_text(b: bl.Browser, field, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text, Keys.ENTER)


def test_part8_calculator_follows_every_control(browser, lab):
    from selenium.webdriver.support.ui import Select

    b = browser
    run_part(b, lab, 8)
    box = _widget_box(b, 8, "cu.memory_calculator()")
    verdict = lambda: box.find_element("css selector", ".widget-html-content b").text  # noqa: E731

    def after(what: str, action) -> str:
        before = verdict()
        action()
        return b.wait(
            f"the verdict to change after {what} (was {before!r})",
            lambda: verdict() != before and verdict(),
            15,
        )

    def type_id(model_id: str) -> str:
        field = _control(box, "text", "Hub id or folder").find_element("css selector", "input")
        return after(f"the model id {model_id}", lambda: _commit_text(b, field, model_id))

    text = type_id("meta-llama/Llama-3.1-8B-Instruct")
    assert "Llama-3.1-8B-Instruct in bfloat16 does not fit on T4" in text, text
    precision = Select(
        _control(box, "dropdown", "precision").find_element("css selector", "select")
    )
    text = after("precision nf4", lambda: precision.select_by_value("nf4 (4-bit)"))
    assert "in nf4 fits on T4" in text, text
    if lab.hub is not None:  # no token, as a new learner: the gated config cannot be read
        shown = box.find_element("css selector", ".widget-html-content").text
        assert "KV cache not counted" in shown, shown  # so the tokens slider cannot move it
    text = type_id("Qwen/Qwen2.5-7B-Instruct")  # public: its config is read, KV cache counted
    assert "Qwen2.5-7B-Instruct in nf4 fits on T4" in text, text
    readout = _control(box, "slider", "tokens (KV)").find_element("css selector", ".widget-readout")
    before = box.find_element("css selector", ".widget-html-content").text
    _commit_text(b, readout, "32768")
    b.wait(
        "the needed memory to grow with 32768 tokens of KV cache",
        lambda: box.find_element("css selector", ".widget-html-content").text != before,
        15,
    )
    gpu = Select(_control(box, "dropdown", "GPU").find_element("css selector", "select"))
    text = after("GPU A100-80GB", lambda: gpu.select_by_value("A100-80GB"))
    assert "fits on A100-80GB" in text, text
    image = box.find_element("css selector", "img.widget-image")
    assert b.js("return arguments[0].complete && arguments[0].naturalWidth > 0", image), (
        "the figure is broken"
    )
    b.js("arguments[0].scrollIntoView()", box)
    box.screenshot(str(ARTIFACTS / "part8_calculator.png"))

    _commit_text(
        b,
        _control(box, "text", "Hub id or folder").find_element("css selector", "input"),
        "nobody/not-a-model",
    )
    b.wait("the red message for an unknown id", lambda: "not-a-model" in verdict(), 15)
    color = b.js(
        "return getComputedStyle(arguments[0]).color",
        box.find_element("css selector", ".widget-html-content b"),
    )
    r, g, bl_ = (int(v) for v in re.findall(r"\d+", color)[:3])
    assert r > 150 and g < 60 and bl_ < 60, f"the message is not red: {color}"
    shown = [im for im in box.find_elements("css selector", "img") if im.is_displayed()]
    assert not shown, "an image (a broken-image icon) is still shown under the error message"
    box.screenshot(str(ARTIFACTS / "part8_calculator_error.png"))
    widget_errors = [m for m in bl.console_errors(b) if "widget" in m.lower()]
    assert not widget_errors, widget_errors


# ---- Part 9: the app, as its user sees it ----------------------------------------------------


def test_part9_app_answers_and_refuses_empty_input(browser, lab):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    b = browser
    run_part(b, lab, 9)
    app = _text_tab(b)
    for sel in app.find_elements("css selector", "select"):  # the task menu: pick the question task
        values = [o.get_attribute("value") for o in Select(sel).options]
        if any(v.startswith("Ask") for v in values):
            Select(sel).select_by_value(next(v for v in values if v.startswith("Ask")))
    box = app.find_element("css selector", "textarea")
    run = next(
        btn for btn in app.find_elements("css selector", "button") if btn.text.strip() == "Run"
    )
    output = lambda: app.find_element("css selector", ".widget-output").text.strip()  # noqa: E731
    # record every state of the Run button while the app works (it is only disabled for a moment)
    b.js(
        """const btn = arguments[0]; window.__runStates = [];
            new MutationObserver(() => window.__runStates.push(btn.disabled))
              .observe(btn, {attributes: true, attributeFilter: ['disabled']});""",
        run,
    )
    box.click()
    box.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    box.send_keys("What is the capital of France?")
    before = output()
    run.click()
    b.wait("an answer", lambda: output() != before and output() and run.is_enabled(), 120)
    answer = output()
    assert "⚠" not in answer and "Traceback" not in answer, answer
    assert LATENCY.search(app.text), f"no latency shown: {app.text!r}"
    states = b.js("return window.__runStates")
    assert True in states and states[-1] is False, f"Run was not disabled while working: {states}"
    b.js("arguments[0].scrollIntoView()", app)
    app.screenshot(str(ARTIFACTS / "part9_app.png"))

    box.click()
    box.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    run.click()
    b.wait("the app to refuse empty input", lambda: output() != answer and output(), 30)
    refused = output()
    assert "⚠" in refused and "Traceback" not in refused, refused
    assert run.is_enabled(), "Run stayed disabled after refusing the input"
    app.screenshot(str(ARTIFACTS / "part9_app_empty.png"))
    widget_errors = [m for m in bl.console_errors(b) if "widget" in m.lower()]
    assert not widget_errors, widget_errors
