"""The GPU check's measurements (issue 31): what the course cites about CUDA, measured.

    python scripts/gpu_measure.py --out measure.json         # on a CUDA machine (gpu_check.sh)
    python scripts/gpu_measure.py --cpu --out measure.json   # the dry run: CPU, small sizes

On a CUDA GPU, in this order (the context first, before anything touches CUDA):
- the CUDA context: memory in use on the card (nvidia-smi) before torch starts CUDA, then
  ``torch.cuda.mem_get_info()`` after ``torch.cuda.init()`` and after a first cuBLAS matmul,
  against ``CUDA_CONTEXT_BYTES``, the allowance ``cu.fits`` adds (course_utils/levers.py);
- ``torch.cuda.is_bf16_supported()`` beside ``cu.gpu_report()``;
- matmul speed in float32, TF32, float16 and bfloat16;
- SmolLM2-135M-Instruct's weights in bf16, int8, nf4 and nf4 + double quant:
  ``torch.cuda.memory_allocated()`` around ``from_pretrained`` against ``cu.estimate_memory``;
- the peak of ``generate`` at 128, 1024 and 4096 prompt tokens: ``max_memory_allocated()``
  against ``cu.estimate_memory(..., seq_len=...).peak_bytes``;
- the first and the second call of a GPU pipeline, and the call at which a pipeline called one
  text at a time on a GPU starts to warn;
- Part 8's offload cells: ``accelerate.cpu_offload`` and the "offloaded" KV caches.
Every warning and log line each step prints is recorded beside it. With ``--cpu`` the same code
runs on the CPU on the tiny Qwen2 stand-in, so the script is known to run before a GPU is lent:
the CUDA-only figures then say "no CUDA", and the peaks come from the live-tensor tracker.
It is a measurement, not a test: a step that fails becomes a row that says so (``--strict``
raises instead, as the dry run does).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("COURSE_REAL_HUB"):  # the offline stand-in Hub serves every model here
    from tests.standins import ensure_hub, hub_env

    os.environ.update(hub_env(ensure_hub(log=lambda *_: None)))

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"  # real weights in the stand-in Hub
TINY = "Qwen/Qwen2.5-0.5B-Instruct"  # a tiny random Qwen2 in the stand-in Hub: the CPU mode's
SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
MIB = 2**20
LOGGERS = ("", "transformers", "accelerate", "bitsandbytes", "huggingface_hub")


def mib(n: float | None) -> str:
    """Bytes as MiB (KiB below one MiB: the dry run's tiny model), "n/a" for None."""
    if n is None:
        return "n/a"
    return f"{n / MIB:,.1f} MiB" if abs(n) >= MIB else f"{n / 1024:,.1f} KiB"


def err(got: float | None, true: float | None) -> str:
    """The estimate's error against the measurement, in percent of the measurement."""
    if got is None or not true:
        return ""
    return f"{100 * (got - true) / true:+.1f}%"


def parse_smi_mib(text: str) -> int:
    """MiB in use on the first GPU from ``nvidia-smi --query-gpu=memory.used ...nounits``."""
    return int(text.strip().splitlines()[0].strip())


def smi_used_bytes() -> int | None:
    """Memory in use on GPU 0 as the driver sees it (every process), or None without nvidia-smi."""
    if not shutil.which("nvidia-smi"):
        return None
    out = subprocess.run(
        ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return parse_smi_mib(out.stdout) * MIB


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.lines.append(f"{record.name} {record.levelname}: {record.getMessage()}")


@contextmanager
def caught() -> Iterator[list[str]]:
    """Every warning and every WARNING-or-worse log line raised inside, as text lines."""
    handler, lines = _Lines(), []
    for name in LOGGERS:
        logging.getLogger(name).addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            yield lines
    finally:
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(handler)
        lines += [f"{w.category.__name__}: {w.message}" for w in ws]
        lines += handler.lines


class Sheet:
    """The rows measured so far, and the warnings and log lines each step printed."""

    def __init__(self, strict: bool) -> None:
        self.rows: list[dict] = []
        self.logs: list[dict] = []
        self.strict = strict

    def add(
        self,
        section: str,
        figure: str,
        measured: str,
        reference: str = "",
        error: str = "",
        note: str = "",
    ) -> None:
        self.rows.append(
            dict(
                section=section,
                figure=figure,
                measured=measured,
                reference=reference,
                error=error,
                note=note,
            )
        )

    @contextmanager
    def step(self, section: str) -> Iterator[None]:
        start = time.perf_counter()
        with caught() as lines:
            try:
                yield
            except Exception as exc:  # a measurement reports what failed and goes on
                if self.strict:
                    raise
                self.add(section, "failed", f"{type(exc).__name__}: {exc}"[:400])
        seen = []
        for line in lines:
            if line not in seen:
                seen.append(line)
                self.logs.append({"section": section, "line": line[:400]})
        print(f"  {section}: {time.perf_counter() - start:.1f} s", file=sys.stderr)


class Box:
    """Where the measurements run: the GPU, or the CPU of the dry run (with smaller sizes)."""

    def __init__(self, cpu: bool) -> None:
        import torch

        self.cuda = not cpu
        self.device = "cuda" if self.cuda else "cpu"
        self.model = TINY if cpu else SMOL
        self.matmul_n = 256 if cpu else 8192
        self.peak_lengths = [16, 64] if cpu else [128, 1024, 4096]
        self.kv_prompt = 64 if cpu else 1024
        self.torch = torch
        self.smi_before: int | None = None  # nvidia-smi's memory.used before CUDA started

    def sync(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize()

    def allocated(self) -> int | None:
        return self.torch.cuda.memory_allocated() if self.cuda else None

    def clean(self) -> None:
        gc.collect()
        if self.cuda:
            self.torch.cuda.empty_cache()
            self.torch.cuda.reset_peak_memory_stats()

    def seconds(self, fn, *args, **kwargs) -> float:
        self.sync()
        start = time.perf_counter()
        fn(*args, **kwargs)
        self.sync()
        return time.perf_counter() - start


# --- the measurements --------------------------------------------------------------------------


def context(sheet: Sheet, box: Box) -> None:
    """The CUDA context: memory the card holds for this process before any tensor."""
    from course_utils.levers import CUDA_CONTEXT_BYTES

    torch = box.torch
    if not box.cuda:
        sheet.add(
            "CUDA context",
            "memory held after torch.cuda.init()",
            "no CUDA",
            mib(CUDA_CONTEXT_BYTES),
            note="cu.fits' allowance (levers.CUDA_CONTEXT_BYTES)",
        )
        return
    before = box.smi_before
    torch.cuda.init()
    free, total = torch.cuda.mem_get_info()
    allocated = torch.cuda.memory_allocated()
    if before is None:  # no nvidia-smi: the driver's figure before is unknown
        sheet.add("CUDA context", "memory held after torch.cuda.init()", "n/a (no nvidia-smi)")
        return
    # nvidia-smi before and after: the same counter (mem_get_info's total leaves out what the
    # driver reserves, so it is shown beside, not subtracted from nvidia-smi's figure)
    init = smi_used_bytes() - before
    sheet.add(
        "CUDA context",
        "held after torch.cuda.init(), before any tensor (nvidia-smi memory.used after − before)",
        mib(init),
        mib(CUDA_CONTEXT_BYTES),
        err(CUDA_CONTEXT_BYTES, init),
        f"memory_allocated() then: {allocated} B; mem_get_info: {mib(total - free)} in use of "
        f"{mib(total)}; reference: cu.fits' allowance",
    )
    x = torch.randn(1024, 1024, device="cuda")
    (x @ x).sum().item()  # loads the cuBLAS kernels and its workspace
    torch.cuda.synchronize()
    outside = smi_used_bytes() - before - torch.cuda.memory_reserved()
    sheet.add(
        "CUDA context",
        "after the first cuBLAS matmul, PyTorch's own pool (memory_reserved) left out",
        mib(outside),
        mib(CUDA_CONTEXT_BYTES),
        err(CUDA_CONTEXT_BYTES, outside),
        "what no tensor accounts for: what the allowance must cover",
    )
    del x
    box.clean()


def device_facts(sheet: Sheet, box: Box) -> None:
    """bf16: torch's answer beside course_utils' (the compute capability), and the card's size."""
    import course_utils as cu

    torch = box.torch
    report = cu.gpu_report()
    if not box.cuda:
        sheet.add(
            "device",
            "torch.cuda.is_bf16_supported()",
            "no CUDA",
            f"cu.gpu_report(): {report.recommended_dtype}",
        )
        return
    props = torch.cuda.get_device_properties(0)
    sheet.add(
        "device",
        "GPU",
        f"{props.name}, compute capability {props.major}.{props.minor}",
        note=f"torch {torch.__version__}, CUDA {torch.version.cuda}",
    )
    sheet.add(
        "device",
        "torch.cuda.is_bf16_supported()",
        str(torch.cuda.is_bf16_supported()),
        f"cu.gpu_report(): bf16_native={report.bf16_native}, "
        f"recommended_dtype={report.recommended_dtype}",
        note="including_emulation=False: "
        f"{torch.cuda.is_bf16_supported(including_emulation=False)}",
    )
    try:
        card = cu.find_gpu(props.name)
    except cu.CourseError:
        card = None
    total = torch.cuda.mem_get_info()[1]
    sheet.add(
        "device",
        "total memory torch reports (mem_get_info()[1])",
        mib(total),
        mib(card.usable_bytes) if card else "card not in cu.GPUS",
        err(card.usable_bytes, total) if card else "",
        f"cu.GPUS[{card.name!r}].usable_gib" if card else "",
    )


def matmul(sheet: Sheet, box: Box) -> None:
    """Matmul speed per dtype (n × n @ n × n), as Part 2 times it, the TF32 switch included."""
    torch = box.torch
    n, reps = box.matmul_n, 3 if box.cuda else 2
    kinds = ["float32", "tf32", "float16", "bfloat16"] if box.cuda else ["float32", "bfloat16"]
    rates = {}
    tf32 = torch.backends.cuda.matmul.allow_tf32
    try:
        for kind in kinds:
            torch.backends.cuda.matmul.allow_tf32 = kind == "tf32"
            dtype = torch.float32 if kind == "tf32" else getattr(torch, kind)
            a = torch.randn(n, n, device=box.device, dtype=dtype)
            b = torch.randn(n, n, device=box.device, dtype=dtype)
            for _ in range(2):
                a @ b
            took = min(box.seconds(torch.matmul, a, b) for _ in range(reps))
            rates[kind] = 2 * n**3 / took / 1e12
            del a, b
    finally:
        torch.backends.cuda.matmul.allow_tf32 = tf32
    for kind, rate in rates.items():
        label = "float32 with TF32 allowed" if kind == "tf32" else kind
        sheet.add(
            "matmul speed",
            f"{n}×{n} @ {n}×{n}, {label} on {box.device}",
            f"{rate:,.3g} TFLOP/s",
            f"{rate / rates['float32']:.3g}× float32",
            note="best of 3 after 2 warm-ups",
        )
    box.clean()


def _load(model_id: str, case: str, box: Box):
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    kw = {"device_map": {"": 0}} if box.cuda else {}
    if case == "bfloat16":
        return AutoModelForCausalLM.from_pretrained(model_id, dtype=torch.bfloat16, **kw)
    q = (
        BitsAndBytesConfig(load_in_8bit=True)
        if case == "int8"
        else BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=torch.bfloat16,
            bnb_4bit_use_double_quant=case.endswith("+dq"),
        )
    )
    return AutoModelForCausalLM.from_pretrained(
        model_id, dtype=torch.bfloat16, quantization_config=q, **kw
    )


def footprints(sheet: Sheet, box: Box) -> None:
    """Weights in bf16, 8-bit and 4-bit: what the allocator holds against cu.estimate_memory."""
    import course_utils as cu
    from course_utils.footprint import bytes_in_memory

    for case in ("bfloat16", "int8", "nf4") + (("nf4+dq",) if box.cuda else ()):
        box.clean()
        before = box.allocated()
        model = _load(box.model, case, box)
        held = bytes_in_memory(model)
        after = box.allocated()
        measured = after - before if box.cuda else held
        est = cu.estimate_memory(
            box.model,
            case.removesuffix("+dq"),
            double_quant=case.endswith("+dq"),
            compute_dtype="bfloat16",
        )
        how = "memory_allocated() after − before" if box.cuda else "bytes the model's tensors hold"
        sheet.add(
            "weights",
            f"{box.model} in {case} ({how})",
            mib(measured),
            mib(est.weights_bytes),
            err(est.weights_bytes, measured),
            f"cu.estimate_memory weights_bytes; tensors held: {held:,} B",
        )
        del model
    box.clean()


def _prompt(model, n: int, box: Box):
    high = model.config.vocab_size
    return box.torch.randint(min(100, high // 2), min(40_000, high), (1, n), device=box.device)


def peaks(sheet: Sheet, box: Box) -> None:
    """The peak of generate (its prefill) against estimate_memory(seq_len=...).peak_bytes."""
    import course_utils as cu
    from course_utils.footprint import bytes_in_memory
    from course_utils.live_tensors import LiveTensors

    torch = box.torch
    box.clean()
    model = _load(box.model, "bfloat16", box).eval()  # on the device already
    weights = bytes_in_memory(model)
    kw = dict(max_new_tokens=2, min_new_tokens=2, do_sample=False, pad_token_id=0)
    for n in box.peak_lengths:
        ids = _prompt(model, n, box)
        est = cu.estimate_memory(box.model, "bf16", seq_len=n + 2)
        if box.cuda:
            box.sync()
            torch.cuda.reset_peak_memory_stats()
            with torch.inference_mode():
                model.generate(ids, **kw)
            peak, how = torch.cuda.max_memory_allocated(), "max_memory_allocated()"
        else:
            with torch.inference_mode(), LiveTensors() as live:
                model.generate(ids, **kw)
            peak = weights + live.peak + ids.numel() * ids.element_size()
            how = "weights + live-tensor peak"
        sheet.add(
            "peak of generate",
            f"{n:,}-token prompt, bf16, 2 new tokens ({how})",
            mib(peak),
            mib(est.peak_bytes),
            err(est.peak_bytes, peak),
            f"estimate: weights {mib(est.weights_bytes)} + KV {mib(est.kv_cache_bytes)} + "
            f"activations {mib(est.activation_bytes)}; weights held {mib(weights)}",
        )
    del model
    box.clean()


def pipelines(sheet: Sheet, box: Box) -> None:
    """First and second call of a pipeline on the device, and when calling one text at a time
    starts to warn (transformers warns on a GPU after ten calls: 'use a dataset')."""
    from transformers import pipeline

    texts = ["I love this course.", "This is the worst film I have ever seen."]
    for task, model_id, kw in (
        ("sentiment-analysis", SST2, {}),
        ("text-generation", box.model, {"max_new_tokens": 8, "do_sample": False}),
    ):
        start = time.perf_counter()
        pipe = pipeline(task, model=model_id, device=box.device)
        made = time.perf_counter() - start
        first = box.seconds(pipe, texts[0], **kw)
        second = box.seconds(pipe, texts[1], **kw)
        sheet.add(
            "pipeline",
            f"{task} ({model_id}) on {box.device}: first call, second call",
            f"{first * 1e3:,.1f} ms, {second * 1e3:,.1f} ms",
            f"{first / second:.1f}× the second",
            note=f"pipeline() itself took {made:.2f} s",
        )
        if task != "sentiment-analysis":
            continue
        warned_at = None
        for call in range(3, 14):
            with caught() as lines:
                pipe(texts[call % 2])
            if lines and warned_at is None:
                warned_at = call
                sheet.add(
                    "pipeline",
                    f"one text at a time: the call that first warns ({box.device})",
                    f"call {call}",
                    note=lines[0][:300],
                )
        if warned_at is None:
            sheet.add(
                "pipeline",
                f"one text at a time: the call that first warns ({box.device})",
                "no warning in 13 calls",
            )
        del pipe
    box.clean()


def _chat(model_id: str, box: Box):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_id)
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    return tok.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )


def _ms_per_token(model, inputs, box: Box, n: int = 8, **kw) -> float:
    torch = box.torch
    with torch.inference_mode():
        model.generate(**inputs, max_new_tokens=2, do_sample=False, **kw)  # warm-up
        took = box.seconds(
            model.generate, **inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False, **kw
        )
    return took * 1e3 / n


def offload(sheet: Sheet, box: Box) -> None:
    """Part 8's cpu_offload cell: what stays on the GPU, its peak, and the time per token."""
    from accelerate import cpu_offload

    torch = box.torch
    chat = _chat(box.model, box)
    box.clean()
    resident = _load(box.model, "bfloat16", box).eval()  # on the device already
    on_device = _ms_per_token(resident, chat.to(box.device), box)
    del resident
    box.clean()
    offloaded = _load_cpu(box.model)
    before = box.allocated()
    cpu_offload(offloaded, execution_device=0 if box.cuda else "cpu")
    held = box.allocated() - before if box.cuda else None
    spilled = _ms_per_token(offloaded, chat.to(box.device), box)
    peak = torch.cuda.max_memory_allocated() - before if box.cuda else None
    sheet.add(
        "offload (Part 8)",
        "cpu_offload: held on the GPU between calls, peak in generate",
        f"{mib(held)}, peak {mib(peak)}",
        note="weights stay in CPU RAM; each layer is copied in when it runs",
    )
    sheet.add(
        "offload (Part 8)",
        f"ms per new token: cpu_offload against the whole model on {box.device}",
        f"{spilled:,.1f} ms",
        f"{on_device:,.1f} ms",
        note=f"{spilled / on_device:.1f}× as long",
    )
    del offloaded
    box.clean()


def _load_cpu(model_id: str):
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(model_id, dtype=torch.bfloat16).eval()


def offloaded_kv(sheet: Sheet, box: Box) -> None:
    """Part 8's offloaded KV caches: the peak above the weights, and the time per token."""
    import course_utils as cu

    torch = box.torch
    box.clean()
    model = _load(box.model, "bfloat16", box).eval()  # on the device already
    n, new = box.kv_prompt, 16
    prompt = _prompt(model, n, box)
    ids = {"input_ids": prompt, "attention_mask": box.torch.ones_like(prompt)}
    kv = cu.kv_cache_bytes(model.config, n + new, 1, "bf16")
    for kind in ("dynamic", "offloaded", "offloaded_static"):
        extra = {} if kind == "dynamic" else {"cache_implementation": kind}
        box.clean()
        before = box.allocated()
        try:
            ms = _ms_per_token(model, ids, box, n=new, **extra)
        except Exception as exc:  # on a CPU the offloaded caches refuse: that is the finding
            if box.cuda:
                raise
            sheet.add(
                "offloaded KV cache (Part 8)",
                f"cache_implementation={kind!r} on cpu",
                f"raises {type(exc).__name__}",
                note=str(exc)[:200],
            )
            continue
        peak = torch.cuda.max_memory_allocated() - before if box.cuda else None
        sheet.add(
            "offloaded KV cache (Part 8)",
            f"{kind} cache, {n:,}-token prompt + {new} new: peak of generate above the weights",
            mib(peak),
            f"KV cache {mib(kv)}",
            note=f"{ms:,.2f} ms per new token",
        )
    del model
    box.clean()


STEPS = [
    ("CUDA context", context),
    ("device", device_facts),
    ("matmul speed", matmul),
    ("weights", footprints),
    ("peak of generate", peaks),
    ("pipeline", pipelines),
    ("offload (Part 8)", offload),
    ("offloaded KV cache (Part 8)", offloaded_kv),
]


def measure(cpu: bool, strict: bool = False) -> dict:
    """Run every step; return the rows, the warnings and log lines, and what ran where."""
    smi_before = None if cpu else smi_used_bytes()  # before anything can touch CUDA
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the loading bars would bury the rows
    start = time.perf_counter()
    sheet = Sheet(strict)
    box = Box(cpu)
    box.smi_before = smi_before
    if cpu:
        box.torch.set_num_threads(min(2, box.torch.get_num_threads()))
    elif not box.torch.cuda.is_available():
        raise SystemExit("No CUDA GPU here: run with --cpu for the dry run.")
    for name, fn in STEPS:
        with sheet.step(name):
            fn(sheet, box)
    import transformers

    return {
        "device": box.device,
        "model": box.model,
        "python": platform.python_version(),
        "torch": box.torch.__version__,
        "transformers": transformers.__version__,
        "seconds": round(time.perf_counter() - start, 1),
        "rows": sheet.rows,
        "logs": sheet.logs,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu", action="store_true", help="the dry run: CPU, tiny model, small sizes")
    ap.add_argument("--strict", action="store_true", help="raise on the first failing step")
    ap.add_argument("--out", default=str(ROOT / ".artifacts" / "gpu-check" / "measure.json"))
    args = ap.parse_args()
    result = measure(args.cpu, args.strict)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    for row in result["rows"]:
        print(f"{row['section']} | {row['figure']} | {row['measured']} | {row['reference']}")
    print(
        f"{len(result['rows'])} rows, {len(result['logs'])} warning/log lines, "
        f"{result['seconds']} s on {result['device']}: {args.out}"
    )


if __name__ == "__main__":
    main()
