"""Command line for use outside notebooks (Parts 1 and 8 show it):

python -m course_utils gpu
python -m course_utils memory MODEL [--dtype 4bit] [--gpu T4] [--seq-len N]
    [--batch-size N] [--double-quant]
python -m course_utils license MODEL
python -m course_utils doctor [--no-hub] [--expected X.Y.Z]
python -m course_utils prefetch [--parts 1-9] [--dry-run] [--include-gated]
"""

from __future__ import annotations

import argparse
import sys

from .errors import CourseError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils", description="Practical PyTorch course helpers."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("gpu", help="what GPU this machine has and the dtype to load models in")
    mem = sub.add_parser("memory", help="how much memory a model takes, and whether it fits a GPU")
    mem.add_argument(
        "model", help="Hub id, local folder, config.json, or a parameter count such as 7B"
    )
    mem.add_argument(
        "--dtype",
        default="bfloat16",
        help="float32, float16, bfloat16, int8/8bit, nf4/fp4/4bit (default bfloat16)",
    )
    mem.add_argument(
        "--gpu", default="T4", help="a card from cu.GPUS or a size in GiB (default T4)"
    )
    mem.add_argument(
        "--seq-len",
        type=int,
        default=None,
        help="tokens of context for the KV cache (default 4096, or the model's limit if lower)",
    )
    mem.add_argument("--batch-size", type=int, default=1)
    mem.add_argument("--double-quant", action="store_true", help="4-bit with double quantization")
    lic = sub.add_parser("license", help="the license of a model and what it allows")
    lic.add_argument("model", help="Hub id or local folder with a README.md model card")
    doc = sub.add_parser("doctor", help="one report to paste into a forum question")
    doc.add_argument("--no-hub", action="store_true", help="skip the Hub checks (5 s limit each)")
    doc.add_argument("--expected", default=None, help="the notebook's course release, e.g. 1.0.0")
    pre = sub.add_parser("prefetch", help="download what the course reads into HF_HOME, for a room")
    pre.add_argument("--parts", default="1-9", help="e.g. 1-9 (default), 6-9 or 3,8")
    pre.add_argument("--dry-run", action="store_true", help="only list and size the downloads")
    pre.add_argument("--include-gated", action="store_true", help="also gated models you may read")
    return parser


def _gpu_arg(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _gpu(args: argparse.Namespace) -> None:
    from .gpu import gpu_report

    print(gpu_report())


def _memory(args: argparse.Namespace) -> None:
    """The estimate, then the plan for the GPU (printed one after the other, as each is ready)."""
    from .levers import default_context, plan
    from .memory import estimate_memory
    from .resolve import resolve_model

    shown, basis = resolve_model(args.model)  # one Hub lookup for the context and the estimate
    seq_len = default_context(basis) if args.seq_len is None else args.seq_len
    estimate = estimate_memory(
        basis,
        args.dtype,
        double_quant=args.double_quant,
        seq_len=seq_len,
        batch_size=args.batch_size,
    )
    estimate.model = shown
    print(estimate)
    print()
    print(plan(args.model, _gpu_arg(args.gpu), seq_len=seq_len, batch_size=args.batch_size))


def _license(args: argparse.Namespace) -> None:
    from .licenses import license_info

    print(license_info(args.model))


def _doctor(args: argparse.Namespace) -> None:
    from .diagnosis import doctor

    print(doctor(args.expected, hub=not args.no_hub))


def _prefetch(args: argparse.Namespace) -> None:
    from .classroom import prefetch

    print(prefetch(args.parts, dry_run=args.dry_run, include_gated=args.include_gated))


_COMMANDS = {
    "gpu": _gpu,
    "memory": _memory,
    "license": _license,
    "doctor": _doctor,
    "prefetch": _prefetch,
}


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code (0 ok, 1 any error, in one line, 2 usage)."""
    args = _parser().parse_args(argv)
    try:
        _COMMANDS[args.command](args)
    except CourseError as e:
        print(f"error: {_one_line(e)}", file=sys.stderr)
        return 1
    except Exception as e:  # anything else is a bug: one line, never a traceback
        print(
            f"error: {type(e).__name__}: {_one_line(e)[:300]} (this is a bug in course_utils: "
            "please report it with the command you ran)",
            file=sys.stderr,
        )
        return 1
    return 0


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line (tables and paragraphs joined by spaces)."""
    return " ".join(str(exc).split()) or type(exc).__name__
