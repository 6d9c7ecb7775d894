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

# `make test` runs two notebook kernels on a 2-core machine. With torch's default of one thread
# per core each kernel fights the other: SmolLM2 generated 0.34 tok/s with 2 threads against
# 3.3 tok/s with 1 under that contention. One thread per process is the fast setting here.
os.environ.setdefault("OMP_NUM_THREADS", "1")

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
