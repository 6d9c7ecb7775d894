"""The library lines course_utils drops (course_utils/_quiet.py), and only those."""

from __future__ import annotations

import logging
import subprocess
import sys

import course_utils  # noqa: F401  (installs the filters)

BNB_CPU = "bitsandbytes.backends.cpu.ops"
KERNELS_LINE = (
    "Failed to load CPU gemm_4bit_forward from kernels-community: %s. Please make sure you "
    "already `pip install kernels` and the kernels >= 0.11.1"
)


def test_bitsandbytes_kernels_line_is_dropped_and_other_lines_pass(caplog):
    log = logging.getLogger(BNB_CPU)
    with caplog.at_level(logging.WARNING, logger=BNB_CPU):
        log.warning(KERNELS_LINE, "No module named 'kernels'")
        log.warning("a different bitsandbytes warning")
    assert [r.getMessage() for r in caplog.records] == ["a different bitsandbytes warning"]


def test_importing_bitsandbytes_after_course_utils_writes_nothing_to_stderr():
    # On an AVX512-BF16 CPU bitsandbytes logs the kernels line at import; elsewhere it is silent.
    code = "import course_utils, bitsandbytes"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "gemm_4bit_forward" not in out.stderr
