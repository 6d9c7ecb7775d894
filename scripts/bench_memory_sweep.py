"""The memory sweep (issue 32): every causal-LM type transformers ships, tiny and random, built,
saved and loaded back in fp32, bf16, nf4 and int8 (bitsandbytes on the CPU), against
``cu.estimate_memory``; and ``cu.kv_cache_bytes`` against the cache of a real ``generate``.

    make bench-memory-sweep                    # all types; writes .artifacts/bench-memory-sweep.md
    python scripts/bench_memory_sweep.py llama mamba   # only these types

The work is tests/sweep.py's (tests/test_memory_sweep.py runs a fast subset of it in the suite).
A benchmark, not a test: it reports and never fails on a miss. Several minutes on two CPU cores.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import sweep  # noqa: E402


def counts(rows: list[sweep.Row]) -> list[str]:
    """The sweep in a few lines: types built, exact per precision, KV within 1%, skipped."""
    built = [r for r in rows if not r.skipped]
    lines = [f"{len(rows)} causal-LM types; {len(built)} built, {len(rows) - len(built)} skipped."]
    for p in sweep.PRECISIONS:
        loaded = [r for r in built if p in r.held]
        exact = sum(r.exact(p) for r in loaded)
        lines.append(f"- {p}: exact to the byte for {exact} of {len(loaded)} loaded")
    generated = [r for r in built if r.kv_held is not None]
    lines.append(f"- KV cache within 1%: {sum(r.kv_ok() for r in generated)} of "
                 f"{len(generated)} types with a real cache")  # fmt: skip
    return lines


def main(argv: list[str]) -> int:
    types = sweep.causal_lm_types()
    chosen = {t: c for t, c in types.items() if not argv or t in argv}
    rows, start = [], time.perf_counter()
    for i, (model_type, class_name) in enumerate(chosen.items(), 1):
        rows.append(sweep.run_type(model_type, class_name))
        print(f"[{i}/{len(chosen)}] {model_type}", file=sys.stderr, flush=True)
    summary = counts(rows)
    misses = [r.model_type for r in rows if not r.skipped and not all(
        r.exact(p) for p in sweep.PRECISIONS)]  # fmt: skip
    summary.append(f"- weights off in some precision: {', '.join(misses) or 'none'}")
    kv_misses = [r.model_type for r in rows if r.kv_held is not None and not r.kv_ok()]
    summary.append(f"- KV misses: {', '.join(kv_misses) or 'none'}")
    summary.append(f"({time.perf_counter() - start:.0f} s)")
    text = "\n".join(["# Memory sweep", "", *summary, "", sweep.table(rows)]) + "\n"
    out = ROOT / ".artifacts" / "bench-memory-sweep.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
