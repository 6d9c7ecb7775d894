"""Library noise that course_utils keeps away from learners, each line with the reason (Part 8).

Only messages that are harmless and that a learner cannot act on are dropped; everything else
still reaches them.
"""

from __future__ import annotations

import logging

# bitsandbytes 0.50's CPU backend, on CPUs with AVX512-BF16 only, tries to fetch an optional
# faster 4-bit kernel (the `kernels` package, then the Hub) the moment bitsandbytes is imported,
# and logs "Failed to load CPU gemm_4bit_forward from kernels-community ..." when it cannot. It
# then uses its own built-in kernel, which gives the same results; installing `kernels` does not
# help offline. The line is logged at import, so estimating a 4-bit size from a config showed it.
_DROPPED = {
    "bitsandbytes.backends.cpu.ops": ("Failed to load CPU gemm_4bit_forward",),
}


class _DropKnownNoise(logging.Filter):
    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)


def install() -> None:
    """Attach the filters (cheap: no library is imported). Safe to call more than once."""
    for name, prefixes in _DROPPED.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropKnownNoise) for f in logger.filters):
            logger.addFilter(_DropKnownNoise(prefixes))
