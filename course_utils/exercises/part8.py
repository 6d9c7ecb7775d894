"""Part 8 exercises: memory maths, int8 quantization by hand, and picking a license.

The checkers work the expected answer out themselves (with course_utils and torch, imported
inside the checker so importing this module stays cheap), so they hold on Colab with the real
Hub as well as offline.
"""

from __future__ import annotations

from typing import Any

from . import Exercise

__all__ = ["q1", "q2", "q3", "LICENSE_CANDIDATES"]

GIB = 2**30


def _check_q1(answer: Any, *_: Any, **__: Any) -> str | None:
    from ..gpu import GPUS
    from ..memory import bytes_per_param

    if not isinstance(answer, tuple) or len(answer) != 2:
        return "the answer should be a pair: (GiB of weights, fits on a T4 True/False)"
    gib, fits = answer
    if isinstance(gib, bool) or not isinstance(gib, (int, float)):
        return f"the first item should be a number of GiB, got {type(gib).__name__}"
    need = 13e9 * bytes_per_param("float16")
    expected = need / GIB
    if abs(gib - need / 1e9) < 0.05 * need / 1e9 and abs(gib - expected) > 0.02 * expected:
        return "that is in GB (1e9 bytes); the question asks for GiB (2**30 bytes): divide by 2**30"
    if abs(gib - 13e9 * 4 / GIB) < 0.02 * expected:
        return "that is float32 (4 bytes a weight); float16 takes 2"
    if abs(gib - expected) > 0.02 * expected:
        return f"{gib:g} GiB is {'too much' if gib > expected else 'too little'}: parameters × bytes, then / 2**30"
    if not isinstance(fits, bool):
        return f"the second item should be True or False, got {fits!r}"
    if fits != (need <= GPUS["T4"].usable_bytes):
        return (f"the size is right, but compare it with the T4's usable memory, "
                f"cu.GPUS['T4'].usable_gib = {GPUS['T4'].usable_gib} GiB")
    return None


q1 = Exercise(
    name="part8.q1",
    prompt="A 13-billion-parameter model in float16: how many GiB do its weights take (params × "
           "bytes), and do they fit in a T4's usable memory? answer = (gib, fits)",
    checker=_check_q1,
    hint_text="cu.bytes_per_param('float16') is 2. GiB = bytes / 2**30. The T4's usable memory "
              "is cu.GPUS['T4'].usable_gib.",
    solution_text="gib = 13e9 * cu.bytes_per_param('float16') / 2**30   # 24.2 GiB\n"
                  "answer = (gib, gib <= cu.GPUS['T4'].usable_gib)       # (24.2..., False)\n"
                  "# half precision is not enough: 8-bit or 4-bit would be the next lever",
)


def _check_q2(answer: Any, *_: Any, **__: Any) -> str | None:
    import torch

    if not callable(answer):
        return "the answer should be your function quantize_int8 (pass the function, not its result)"
    gen = torch.Generator().manual_seed(8)
    tests = [torch.randn(64, 32, generator=gen) * 0.05,  # like a weight matrix
             torch.rand(100, generator=gen) * 3 + 1,  # all positive: zero point far from 0
             torch.tensor([-3.2, 0.0, 1.0, 5.8])]  # the seed's example range
    for w in tests:
        out = answer(w.clone())
        if not isinstance(out, tuple) or len(out) != 3:
            return "quantize_int8(w) should return three things: (q, scale, zero_point)"
        q, scale, zero_point = out
        if not isinstance(q, torch.Tensor) or q.dtype != torch.int8:
            return f"q should be a torch.int8 tensor, got {getattr(q, 'dtype', type(q).__name__)}"
        if q.shape != w.shape:
            return f"q has shape {tuple(q.shape)} but w has {tuple(w.shape)}"
        scale, zero_point = float(scale), float(zero_point)
        want = (w.max() - w.min()).item() / 255
        if abs(scale - want) > 1e-6 * max(want, 1e-12) + 1e-9:
            return f"scale is {scale:.6g}, expected (max - min) / 255 = {want:.6g}"
        if zero_point != round(zero_point):
            return f"the zero point should be a whole number, got {zero_point}"
        back = scale * (q.float() - zero_point)
        err = (back - w).abs().max().item()
        if err > scale / 2 * 1.01 + 1e-7:
            return (f"dequantizing with scale × (q - zero_point) misses w by up to {err:.3g}, more "
                    f"than half a step ({scale / 2:.3g}): check the zero point and the rounding")
        if q.min().item() > -120 or q.max().item() < 120:
            return "q should use the whole int8 range: min(w) near -128 and max(w) near 127"
    return None


q2 = Exercise(
    name="part8.q2",
    prompt="Write quantize_int8(w) -> (q, scale, zero_point): asymmetric int8 quantization of a "
           "float tensor, so that scale * (q - zero_point) gives w back within half a step.",
    checker=_check_q2,
    hint_text="scale = (w.max() - w.min()) / 255; choose zero_point so that w.min() maps to -128: "
              "zero_point = round(-128 - w.min() / scale); then q = round(w / scale) + zero_point, "
              "clamped to [-128, 127] and cast with .to(torch.int8).",
    solution_text="def quantize_int8(w):\n"
                  "    scale = (w.max() - w.min()) / 255\n"
                  "    zero_point = torch.round(-128 - w.min() / scale)\n"
                  "    q = torch.clamp(torch.round(w / scale) + zero_point, -128, 127).to(torch.int8)\n"
                  "    return q, scale, zero_point\n"
                  "answer = quantize_int8",
)

# The models q3 asks about (all are named in Part 8).
LICENSE_CANDIDATES = [
    "Qwen/Qwen2.5-0.5B-Instruct",
    "HuggingFaceTB/SmolLM2-135M-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
    "google/gemma-2-2b-it",
    "facebook/nllb-200-distilled-600M",
]


def _check_q3(answer: Any, *_: Any, **__: Any) -> str | None:
    from ..licenses import license_info

    if isinstance(answer, str) or not isinstance(answer, (list, tuple, set, frozenset)):
        return "the answer should be a list (or set) of model ids"
    picked = set(answer)
    unknown = picked - set(LICENSE_CANDIDATES)
    if unknown:
        return f"{sorted(unknown)} is not in part8.LICENSE_CANDIDATES"
    infos = {m: license_info(m) for m in LICENSE_CANDIDATES}
    expected = {m for m, info in infos.items() if info.category == "permissive"}
    wrong = picked - expected
    if wrong:
        m = sorted(wrong)[0]
        return f"{m} is {infos[m].license} ({infos[m].category}): not free of conditions"
    if picked != expected:
        return f"one more model in the list has a permissive license ({len(expected - picked)} missing)"
    return None


q3 = Exercise(
    name="part8.q3",
    prompt="Which models in part8.LICENSE_CANDIDATES could you ship in a commercial product "
           "without extra conditions? answer = a list of their ids",
    checker=_check_q3,
    hint_text="Call cu.license_info(m) for each id and keep those whose .category is "
              "'permissive' (Apache-2.0, MIT, BSD...).",
    solution_text="answer = [m for m in part8.LICENSE_CANDIDATES\n"
                  "          if cu.license_info(m).category == 'permissive']\n"
                  "# Qwen2.5-0.5B-Instruct and SmolLM2-135M-Instruct (both apache-2.0)",
)
