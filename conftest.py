"""Test-session set-up, for the unit tests and for every notebook's kernel.

Points every Hugging Face library at the offline stand-in Hub (tests/standins.py) before
anything imports huggingface_hub (it reads HF_HUB_OFFLINE at import time), and builds that Hub
once per content hash. Kernels started by nbval run offline too, on an instructor's prefetched
cache (tests/room.py), so notebook code stays exactly what a learner types on Colab.

COURSE_REAL_HUB=1 (the GPU runner with internet) skips all of this and uses the real Hub.
"""

from __future__ import annotations

import os

import pytest

REAL_HUB = os.environ.get("COURSE_REAL_HUB") == "1"
# --- online run (tests/test_online_notebooks.py) ---------------------------------------------
# COURSE_ONLINE_HUB=1: the notebooks run online against tests/hub_emulator.py, as on Colab. The
# parent test sets HF_ENDPOINT and an empty HF_HOME and unsets HF_HUB_OFFLINE; keep them.
ONLINE_HUB = os.environ.get("COURSE_ONLINE_HUB") == "1"
# ---------------------------------------------------------------------------------------------

# `make test` runs several notebook kernels on a 2-core machine. With torch's default of one thread
# per core each kernel fights the other: SmolLM2 generated 0.34 tok/s with 2 threads against
# 3.3 tok/s with 1 under that contention. One thread per process is the fast setting here.
os.environ.setdefault("OMP_NUM_THREADS", "1")

if not REAL_HUB:
    if not ONLINE_HUB:
        from tests.standins import hub_env

        os.environ.update(hub_env())
    # A learner's or a runner's own token never reaches the offline tests.
    for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        os.environ.pop(_name, None)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "online_behaviour: issue 13's online behaviour of the "
        "helpers against the Hub emulator (tests/test_online_helpers.py)",
    )
    if (
        REAL_HUB or ONLINE_HUB or hasattr(config, "workerinput")
    ):  # xdist workers inherit the built Hub
        return
    from tests.standins import ensure_hub

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    say = (lambda m: reporter.write_line(m)) if reporter else print
    home = ensure_hub(log=say)
    say(f"stand-in Hub ready: HF_HOME={os.path.relpath(home)}, HF_HUB_OFFLINE=1")


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` (make test): longest work first, the online notebook runs spread over
    the workers (tests/scheduling.py). Other --dist modes keep xdist's own scheduler."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.scheduling import LongestFirst

    return LongestFirst(config, log)


# --- offline run: the notebooks start in an instructor's prefetched room --------------------------
# Each notebook's kernel starts with HF_HOME at a cache that `course_utils prefetch` filled from
# the Hub emulator (tests/room.py), HF_HUB_OFFLINE=1 and no token, instead of the full stand-in
# cache: the run that checks the notebooks also proves the room needs nothing else.
if not (REAL_HUB or ONLINE_HUB):
    from nbval.plugin import IPyNbFile

    _nbval_setup = IPyNbFile.setup

    def _setup_in_the_room(self):
        from tests.room import room_env

        kept = dict(os.environ)
        for name in [n for n in os.environ if n.startswith(("HF_", "HUGGING_FACE_"))]:
            del os.environ[name]
        os.environ.update(room_env())
        try:
            _nbval_setup(self)  # the kernel inherits this environment
        finally:
            os.environ.clear()
            os.environ.update(kept)

    IPyNbFile.setup = _setup_in_the_room
# ---------------------------------------------------------------------------------------------


# --- online run: stored outputs are the offline record -----------------------------------------
# A `# NBVAL_CHECK_OUTPUT` cell's stored output is what it prints offline; online it also shows
# download progress bars and the Hub's answers, so the online run only requires every cell to run.
# Each checked cell whose output differs is listed in the file COURSE_ONLINE_DIFFS names.
if ONLINE_HUB:
    from nbval.plugin import IPyNbCell

    _nbval_compare = IPyNbCell.compare_outputs

    def _online_compare(self, test, ref, skip_compare=None):
        if not _nbval_compare(self, test, ref, skip_compare) and os.environ.get(
            "COURSE_ONLINE_DIFFS"
        ):
            with open(os.environ["COURSE_ONLINE_DIFFS"], "a") as f:
                f.write(
                    f"{self.fspath.basename}::{self.name}\t"
                    f"{' | '.join(self.comparison_traceback)[:600]!r}\n"
                )
        return True

    IPyNbCell.compare_outputs = _online_compare
# ---------------------------------------------------------------------------------------------


def _shows_a_plot(source: str) -> bool:
    """A notebook cell that draws for the learner: it calls plt.show()."""
    return "plt.show()" in source


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Every notebook cell that shows a plot must leave an image in its output (a switched
    matplotlib backend once left every later plot blank, and no test noticed)."""
    result = yield
    cell = getattr(item, "cell", None)
    outputs = getattr(item, "test_outputs", None)
    if cell is not None and outputs is not None and _shows_a_plot(cell.source):
        if not any("image/png" in out.get("data", {}) for out in outputs):
            raise AssertionError(
                f"{item.name} calls plt.show() but its output holds no image: the plot did not "
                "show (was the matplotlib backend switched by an earlier cell?)"
            )
    return result
