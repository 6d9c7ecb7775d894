"""How `make test` shares the suite between its xdist workers (`-n 3 --dist loadfile`).

xdist's loadfile hands out one file at a time, the files with the most tests first. The nine
notebooks run online were one test (six minutes), so it came last and ran alone while the
other worker sat idle. This scheduler keeps
loadfile's unit (a file: its module fixtures are built once) with two changes: the tests in
SPREAD (one notebook each) go one at a time to whichever worker is free, and the units go out
longest first (LONGEST), so that the short ones fill in at the end and the workers finish
together.
"""

from __future__ import annotations

from collections import OrderedDict

from xdist.scheduler import LoadFileScheduling

# Tests that stand alone, each long (a notebook run in a child process): one work unit each.
ONLINE = "tests/test_online_notebooks.py::test_notebook_runs_online_against_the_hub_emulator["
SPREAD = (ONLINE,)

# Seconds of the longest work units (a file, or a SPREAD test), from one `make test` run on a
# 2-core machine beside another busy session (about 1.2 times a quiet machine's figures); only the
# order of the units depends on them. The longest prefix of a unit counts; a unit none names
# counts 0.1 s a test.
LONGEST = {
    "tests/test_space_app.py": 130,  # 100, and about 30 more where a clean clone builds its venv
    "tests/test_browser.py": 200,  # Parts 1, 8 and 9 online in JupyterLab
    "tests/test_online_helpers.py": 115,  # the stalled-Hub scenarios wait in the background
    "notebooks/08_hub_and_heavyweights.ipynb": 120,
    "tests/test_exercises_part8.py": 110,
    ONLINE + "06": 100,
    "tests/test_exercises_part6.py": 85,
    "notebooks/06_generating_text.ipynb": 75,
    "notebooks/09_capstone_app.ipynb": 32,
    "tests/test_python_support.py": 31,
    ONLINE + "07": 24,
    ONLINE + "04": 23,
    "tests/test_online_prefetch.py": 21,
    "tests/test_gpu_check.py": 20,
    ONLINE: 15,
    "tests/test_loading.py": 15,
    "tests/test_online_doctor.py": 14,
    "notebooks/": 10,
    "tests/test_versions.py": 8,
}


def _weight(scope: str, tests: int) -> float:
    named = [prefix for prefix in LONGEST if scope.startswith(prefix)]
    return LONGEST[max(named, key=len)] if named else 0.1 * tests


class LongestFirst(LoadFileScheduling):
    """loadfile, with SPREAD's tests one unit each and the units handed out longest first."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(SPREAD):
            return nodeid
        return super()._split_scope(nodeid)

    def _assign_work_unit(self, node) -> None:
        if not getattr(self, "_ordered", False):  # once, before the first unit goes out
            units = sorted(self.workqueue.items(), key=lambda u: -_weight(u[0], len(u[1])))
            self.workqueue = OrderedDict(units)
            self._ordered = True
        super()._assign_work_unit(node)
