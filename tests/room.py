"""An instructor's room: the whole course prefetched into an empty cache, then used offline.

``python -m course_utils prefetch --include-gated`` runs in an online child process
(tests/online.py) against the Hub emulator, with an instructor's token that has access to the
gated models. The offline notebook run of `make test` (conftest.py) starts every notebook's
kernel on this cache with HF_HUB_OFFLINE=1 and no token, so the same nine runs that check the
notebooks also prove that a prefetched room needs nothing else (issue 19).
tests/test_online_prefetch.py checks what the prefetch printed.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from course_utils.classroom import COURSE_DOWNLOADS
from tests.hub_emulator import HubEmulator
from tests.online import Run, run_online

INSTRUCTOR = "hf_emuInstructorToken0123456789abcd"  # emulator-only, not real tokens
NO_ACCESS = "hf_emuNoAccessToken0123456789abcdefg"
GATED = sorted(
    {
        d.repo_id
        for ds in COURSE_DOWNLOADS.values()
        for d in ds
        if d.repo_id.startswith(("meta-llama/", "google/gemma"))
    }
)
SIZES = "{i.download.label: [i.size, i.to_fetch, i.status] for i in r.items}"
EVERY_PART = f"(lambda r: {SIZES})(cu.prefetch('1-9', dry_run=True, include_gated=True))"


@contextmanager
def room_hub():
    """The emulator with the instructor's access to the gated models and a learner without."""
    with HubEmulator() as emulator:
        emulator.add_token(INSTRUCTOR, user="instructor")
        emulator.add_token(NO_ACCESS, user="learner")
        for repo_id in GATED:
            emulator.set_access(INSTRUCTOR, repo_id, "accepted")
        yield emulator


@functools.cache
def room() -> tuple[Run, Path]:
    """Prefetch the course into an empty cache, once per process: the run and the cache."""
    home = Path(tempfile.mkdtemp(prefix="course-room-")) / "hf-home"
    atexit.register(shutil.rmtree, home.parent, ignore_errors=True)
    with room_hub() as emulator:
        run = run_online(
            {"fetch": "cli('prefetch', '--include-gated')['stdout']", "again": EVERY_PART},
            emulator.url,
            token=INSTRUCTOR,
            home=home,
            deadline=300,
            name="prefetch-all",
        )
    return run, home


def room_env() -> dict[str, str]:
    """The Hugging Face variables of a learner's kernel in the room, as prefetch prints them:
    the prefetched cache and HF_HUB_OFFLINE=1, no token (every other HF_* variable is dropped)."""
    run, home = room()
    if not run["fetch"].ok:
        raise RuntimeError(f"the room's prefetch failed: {run['fetch'].says()}")
    return {
        "HF_HOME": str(home),
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
