"""Test-session set-up, for the unit tests and for every notebook's kernel.

Points every Hugging Face library at the offline stand-in Hub (tests/standins.py) before
anything imports huggingface_hub (it reads HF_HUB_OFFLINE at import time), and builds that Hub
once per content hash. Kernels started by nbval inherit this environment, so notebook code stays
exactly what a learner types on Colab.

COURSE_REAL_HUB=1 (the GPU runner with internet) skips all of this and uses the real Hub.
"""

from __future__ import annotations

import os

REAL_HUB = os.environ.get("COURSE_REAL_HUB") == "1"

if not REAL_HUB:
    from tests.standins import hub_env

    os.environ.update(hub_env())
    # A learner's or a runner's own token never reaches the offline tests.
    for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        os.environ.pop(_name, None)


def pytest_configure(config):
    if REAL_HUB or hasattr(config, "workerinput"):  # xdist workers inherit the built Hub
        return
    from tests.standins import ensure_hub

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    say = (lambda m: reporter.write_line(m)) if reporter else print
    home = ensure_hub(log=say)
    say(f"stand-in Hub ready: HF_HOME={os.path.relpath(home)}, HF_HUB_OFFLINE=1")
