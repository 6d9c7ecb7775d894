"""Part 8 exercises: memory maths, int8 quantization by hand, choosing a model to ship, and
loading a model in 4-bit so that it does not overflow in float16.

The checkers work the expected answer out themselves (with course_utils and torch, imported
inside the checker so importing this module stays cheap), so they hold on Colab with the real
Hub as well as offline.
"""

from __future__ import annotations

import logging
import math
import warnings
from functools import lru_cache
from typing import Any

from . import Exercise, as_number, function

__all__ = ["q1", "q2", "q3", "q4", "Q3_CANDIDATES", "Q3_CONTEXT", "Q4_MODEL"]

GIB = 2**30


# q1: the KV cache's share of what is left. The learner types Llama-2-13B's public config.json
# numbers into a LlamaConfig (40 layers, 40 KV heads of 128: no grouped-query attention), takes
# the 8-bit weights from cu.estimate_memory and a token's float16 KV cache from the config.
Q1_SHAPE = {
    "vocab_size": 32_000,
    "hidden_size": 5_120,
    "intermediate_size": 13_824,
    "num_hidden_layers": 40,
    "num_attention_heads": 40,
    "num_key_value_heads": 40,
}
Q1_LAYERS, Q1_KV_HEADS = Q1_SHAPE["num_hidden_layers"], Q1_SHAPE["num_key_value_heads"]
Q1_HEAD_DIM = Q1_SHAPE["hidden_size"] // Q1_SHAPE["num_attention_heads"]


@lru_cache(maxsize=1)
def _q1_estimate() -> Any:
    """cu.estimate_memory of the 13B shape in 8-bit: its weights (about 12.44 GiB) and params."""
    from transformers import LlamaConfig

    from ..memory import estimate_memory

    return estimate_memory(LlamaConfig(**Q1_SHAPE), "int8", seq_len=0)


def _q1_weights_bytes() -> int:
    return _q1_estimate().weights_bytes


def _q1_tokens(
    *,
    kv_bytes: int = 2,
    keys_and_values: int = 2,
    layers: int = Q1_LAYERS,
    usable: float | None = None,
) -> float:
    from ..gpu import GPUS

    room = (GPUS["T4"].usable_bytes if usable is None else usable) - _q1_weights_bytes()
    return room / (keys_and_values * layers * Q1_KV_HEADS * Q1_HEAD_DIM * kv_bytes)


def _check_q1(answer: Any, *_: Any, **__: Any) -> str | None:
    from ..gpu import GPUS
    from ..levers import CUDA_CONTEXT_BYTES  # what cu.fits adds: the question leaves it out

    answer, problem = as_number(answer, "the number of tokens")  # NumPy and 0-dim tensors too
    if problem:
        return problem
    expected = _q1_tokens()
    most = math.floor(expected)  # whole tokens only: one more does not fit
    per_token = 2 * Q1_LAYERS * Q1_KV_HEADS * Q1_HEAD_DIM * 2

    def near(value: float) -> bool:
        return abs(answer - value) <= 0.02 * abs(value)

    if answer == most:
        return None
    if most < answer < most + 1:
        return (
            f"{answer:,.2f} is the room divided by a token's bytes; a cache holds whole tokens: "
            "round down (room // per_token, or math.floor)"
        )
    if answer == most + 1:
        room = GPUS["T4"].usable_bytes - _q1_weights_bytes()
        return (
            f"{int(answer):,} tokens need {int(answer) * per_token:,} bytes, more than the "
            f"{room:,} left: round down, not to the nearest"
        )
    if most - 0.01 * most <= answer < most:
        return (
            f"{answer:,} fits, but {most:,} is the most that does: the question asks how "
            "many fit, so round down only once, at the end (room // per_token)"
        )
    if near(_q1_tokens(keys_and_values=1)):
        return "every layer keeps keys AND values: two tensors per token, not one"
    if near(_q1_tokens(kv_bytes=4)):
        return "that is a float32 cache (4 bytes a number); the cache is float16, 2 bytes"
    if near(_q1_tokens(usable=GPUS["T4"].usable_gib * 1e9)):
        return "the T4's usable memory is 14.75 GiB (× 2**30 bytes), not 14.75 GB (× 1e9)"
    for label, card in (("15e9", 15e9), ("16e9", 16e9), ("16 × 2**30", 16 * 2**30)):
        if near(_q1_tokens(usable=card)):  # the card's printed size, not what torch can use
            return (
                "the price a token is right; the room is wrong: a T4's usable memory is "
                f"cu.GPUS['T4'].usable_bytes (14.75 × 2**30 bytes), not {label} bytes"
            )
    one_byte_each = _q1_estimate().params  # the 8-bit weights as params × 1 byte: a wrong room
    if near(_q1_tokens(usable=GPUS["T4"].usable_bytes + _q1_weights_bytes() - one_byte_each)):
        return (
            "the price a token is right; the room is wrong: the 8-bit weights are not params × 1 "
            "byte (the embeddings and lm_head stay 16-bit, and the scales add bytes): take "
            'cu.estimate_memory(config, "int8", seq_len=0).weights_bytes'
        )
    if near(_q1_tokens(layers=1)):
        return "that is one layer's cache: all 40 layers keep their own keys and values"
    if near(_q1_tokens(usable=GPUS["T4"].usable_bytes - CUDA_CONTEXT_BYTES)):
        return (
            "that also subtracts the CUDA context; the question leaves it out (and the "
            "activations): room = usable_bytes - the 8-bit weights, nothing else"
        )
    if answer <= 0:
        return (
            "the 8-bit weights leave room on a T4: are those the 16-bit weights? "
            'cu.estimate_memory(config, "int8", seq_len=0).weights_bytes is about 12.44 GiB'
        )
    return (
        f"{answer:g} tokens is {'too many' if answer > expected else 'too few'}: bytes per token = "
        "2 (keys, values) × layers × KV heads × head size × 2 bytes; tokens = room left / that, "
        "rounded down"
    )


q1 = Exercise(
    name="part8.q1",
    prompt="Build Llama-2-13B's shape as a LlamaConfig (vocab 32,000, hidden 5,120, intermediate "
    "13,824, 40 layers, 40 attention heads, 40 KV heads). With its 8-bit weights from "
    "cu.estimate_memory, how many tokens of float16 KV cache fit in what is left of a T4's usable "
    "memory (activations and CUDA context left out)? answer = the whole number of tokens that fit",
    checker=_check_q1,
    hint_text="LlamaConfig(vocab_size=..., hidden_size=..., intermediate_size=..., "
    "num_hidden_layers=..., num_attention_heads=..., num_key_value_heads=...), as section 1 typed "
    "the 70B. Room left: cu.GPUS['T4'].usable_bytes minus cu.estimate_memory(config, 'int8', "
    "seq_len=0).weights_bytes. One token costs 2 (keys and values) × layers × KV heads × head size "
    "(hidden_size // num_attention_heads) × 2 bytes (float16). A cache holds whole tokens, and "
    "rounding up would not fit.",
    solution_text="llama_13b_shape = LlamaConfig(vocab_size=32_000, hidden_size=5_120, "
    "intermediate_size=13_824,\n"
    "                              num_hidden_layers=40, num_attention_heads=40, "
    "num_key_value_heads=40)\n"
    "weights = cu.estimate_memory(llama_13b_shape, 'int8', seq_len=0).weights_bytes   # 12.44 GiB\n"
    "room = cu.GPUS['T4'].usable_bytes - weights                # bytes after the weights\n"
    "c = llama_13b_shape\n"
    "head_dim = c.hidden_size // c.num_attention_heads         # 128\n"
    "per_token = 2 * c.num_hidden_layers * c.num_key_value_heads * head_dim * 2   # 819,200 B\n"
    "answer = int(room // per_token)                            # 3,033: 3,033.71 rounded down\n"
    "# under the model's 4,096-token context: on a T4 the cache, not the model, sets the limit,\n"
    "# and the prompt's activations (section 3) lower it further",
)


def _q2_expected(w: Any) -> tuple[float, int]:
    """(scale, zero point) of signed-int8 asymmetric quantization over a range stretched to
    include 0, as torch's MinMax observers choose it: the zero point is then itself an int8."""
    lo, hi = min(w.min().item(), 0.0), max(w.max().item(), 0.0)
    scale = (hi - lo) / 255
    return scale, int(max(-128, min(127, round(-128 - lo / scale))))


def _q2_problem(w: Any, out: Any) -> str | None:
    """None when ``out`` is a right (q, scale, zero_point) for ``w``, else what is off."""
    import torch

    if not isinstance(out, tuple) or len(out) != 3:
        return "quantize_int8(w) should return three things: (q, scale, zero_point)"
    q, scale, zero_point = out
    if not isinstance(q, torch.Tensor) or q.dtype != torch.int8:
        got = getattr(q, "dtype", type(q).__name__)
        if got == torch.uint8:
            return (
                "uint8 codes (0…255) are a valid scheme, but this one is signed int8: codes "
                "-128…127, the lowest of the range on -128, and .to(torch.int8)"
            )
        return f"q should be a torch.int8 tensor (signed, -128…127), got {got}"
    if q.shape != w.shape:
        return f"q has shape {tuple(q.shape)} but w has {tuple(w.shape)}"
    for name, value in (("scale", scale), ("zero_point", zero_point)):
        if isinstance(value, torch.Tensor) and value.numel() != 1:
            return (
                f"{name} has {value.numel()} values (one per row?): this exercise asks for one "
                "scale and one zero point for the whole tensor"
            )
    scale, zero_point = float(scale), float(zero_point)
    if zero_point != round(zero_point):
        return f"the zero point should be a whole number, got {zero_point}"
    if not -128 <= zero_point <= 127:
        return (
            f"a zero point of {zero_point:g} is not an int8, so it cannot be stored beside the "
            "codes (torch.quantize_per_tensor refuses it): that happens when w is all positive "
            "or all negative. Stretch the range to include 0: lo = min(w.min(), 0), "
            "hi = max(w.max(), 0)"
        )
    want_scale, want_zp = _q2_expected(w)
    if abs(scale - want_scale) > 1e-6 * want_scale + 1e-12:
        plain = (w.max() - w.min()).item() / 255
        if abs(scale - plain) <= 1e-6 * plain + 1e-12:
            return (
                f"scale is (max - min) / 255 = {scale:.6g}, right for a range that holds 0 "
                f"already; here it does not. With 0 in the range the scale is {want_scale:.6g}"
            )
        absmax = w.abs().max().item() / 127
        if zero_point == 0 and abs(scale - absmax) <= 1e-6 * absmax + 1e-12:
            return (
                "that is symmetric absmax quantization (scale = max|w| / 127, zero point 0): "
                "valid, and what bitsandbytes does (section 2), but not what was asked. This "
                "one is asymmetric, as torch's quantizers choose it: scale = "
                "(max(w.max(), 0) - min(w.min(), 0)) / 255 and a zero point"
            )
        return (
            f"scale is {scale:.6g}, expected {want_scale:.6g}: "
            "(max(w.max(), 0) - min(w.min(), 0)) / 255"
        )
    back = scale * (q.float() - zero_point)
    err = (back - w).abs().max().item()
    if err > scale / 2 * 1.01 + 1e-7:
        return (
            f"dequantizing with scale × (q - zero_point) misses w by up to {err:.3g}, more "
            f"than half a step ({scale / 2:.3g}): check the zero point, the rounding and the clamp"
        )
    if zero_point != want_zp:
        return (
            f"zero point {zero_point:g}, expected {want_zp}: the lowest value of the range "
            "should land on code -128"
        )
    # the library's own answer for the same scale and zero point
    with warnings.catch_warnings():  # torch 2.10+ marks its qint8 tensors deprecated
        warnings.simplefilter("ignore", UserWarning)
        ref = torch.quantize_per_tensor(w.float(), scale, int(zero_point), torch.qint8)
    ref = ref.int_repr()
    off = (ref.int() - q.int()).abs()
    if off.max().item() > 1 or (off > 0).float().mean().item() > 0.01:
        return "q differs from torch.quantize_per_tensor(w, scale, zero_point, torch.qint8)"
    return None


@function("quantize_int8(w)", "calls it on tensors of its own")
def _check_q2(answer: Any, *_: Any, **__: Any) -> str | None:
    import torch

    gen = torch.Generator().manual_seed(8)
    tests = [
        torch.randn(64, 32, generator=gen) * 0.05,  # like a weight matrix
        torch.rand(100, generator=gen) * 3 + 1,  # all positive: 0 is outside min…max
        -torch.rand(50, generator=gen) - 0.5,  # all negative
        torch.tensor([-3.2, 0.0, 1.0, 5.8]),
        torch.tensor([-3.5, 0.0, 251.5]),  # rounds to 128 at the top: only the clamp saves it
    ]
    for w in tests:
        problem = _q2_problem(w, answer(w.clone()))
        if problem:
            return problem
    return None


q2 = Exercise(
    name="part8.q2",
    prompt="Write quantize_int8(w) -> (q, scale, zero_point): asymmetric quantization of a "
    "float tensor to signed int8 (a torch.int8 tensor), over a range stretched to include 0 "
    "so that the zero point is itself an int8, as torch.quantize_per_tensor requires.",
    checker=_check_q2,
    hint_text="Section 2 maps min(w) to -128. For w from 1 to 4 that puts 0.0 far below code "
    "-128, and the zero point falls outside -128…127. Take lo = min(w.min(), 0) and "
    "hi = max(w.max(), 0), then scale, zero point and the clamped codes as in section 2.",
    solution_text="def quantize_int8(w):\n"
    "    lo, hi = torch.clamp(w.min(), max=0), torch.clamp(w.max(), min=0)   # 0 in the range\n"
    "    scale = (hi - lo) / 255\n"
    "    zero_point = torch.round(-128 - lo / scale)                  # now within -128…127\n"
    "    q = torch.clamp(torch.round(w / scale) + zero_point, -128, 127).to(torch.int8)\n"
    "    return q, scale, zero_point\n"
    "answer = quantize_int8\n"
    "# check: torch.quantize_per_tensor(w, float(scale), int(zero_point), torch.qint8).int_repr()",
)

# q3: a judgement the notebook does not print. The candidates' licenses and their plans at a
# long context decide; the checker works both out with course_utils, so it holds online too. At
# the 32,768 tokens the 7B's config allows as shipped, its worked example (8-bit at 4,096
# tokens) no longer fits.
Q3_CANDIDATES = [
    "meta-llama/Llama-3.1-8B-Instruct",
    "Qwen/Qwen2.5-7B-Instruct",
    "google/gemma-2-2b-it",
    "Qwen/Qwen2.5-0.5B-Instruct",
]
Q3_CONTEXT = 32_768  # tokens the KV cache must hold: what Qwen2.5-7B's config allows as shipped
Q3_GPU = "T4"


@lru_cache(maxsize=1)
def _q3_facts() -> dict[str, tuple[Any, Any]]:
    """model id -> (LicenseInfo, Plan at Q3_CONTEXT tokens on Q3_GPU, or None where the license
    already rules the model out), worked out once per session."""
    from ..levers import plan
    from ..licenses import license_info

    facts = {}
    for m in Q3_CANDIDATES:
        lic = license_info(m)
        permissive = lic.category == "permissive"
        facts[m] = (lic, plan(m, gpu=Q3_GPU, seq_len=Q3_CONTEXT) if permissive else None)
    return facts


def _q3_pair(answer: Any) -> tuple[tuple[str, str] | None, str | None]:
    """((model_id, canonical dtype), None) for a pair naming a candidate and a precision,
    else (None, the problem)."""
    from ..dtypes import dtype_name
    from ..errors import BadInputError

    if (
        not isinstance(answer, (tuple, list))
        or len(answer) != 2
        or not all(isinstance(a, str) for a in answer)
    ):
        return None, (
            "the answer should be a pair of strings: (model_id, dtype), e.g. ('org/name', 'nf4')"
        )
    model_id, dtype = answer
    # Hub ids are case-insensitive: 'qwen/qwen2.5-7b-instruct' names the same repo
    known = {c.lower(): c for c in Q3_CANDIDATES}
    if not isinstance(model_id, str) or model_id.lower() not in known:
        return None, f"{model_id!r} is not in part8.Q3_CANDIDATES"
    model_id = known[model_id.lower()]
    if dtype.strip().lower().replace("-", "").replace("_", "") in ("4bit", "int4"):
        return None, (
            f"{dtype!r} names no 4-bit format: which one, 'nf4' or 'fp4'? A bare "
            "BitsAndBytesConfig(load_in_4bit=True) means fp4 (section 2)"
        )
    try:
        return (model_id, dtype_name(dtype)), None
    except BadInputError:
        return None, (
            f"{answer[1]!r} is not a precision: use a name such as 'float16', 'int8' or 'nf4'"
        )


def _q3_precision(model_id: str, dtype: str, chosen_plan: Any) -> str | None:
    """None when ``dtype`` is the plan's choice (the first lever that fits), else what is off."""
    lever = chosen_plan.choice
    if dtype == lever.dtype:
        return None
    fits = {lv.dtype: lv.fits for lv in chosen_plan.levers[:3]}
    if dtype == "fp4" and fits.get("nf4", False):  # fp4 takes nf4's bytes, and fits as well
        better = (
            ""
            if lever.dtype == "nf4"
            else f"; and {lever.dtype} fits too, and rounds less than either: take the first "
            "lever that fits"
        )
        return (
            "fp4 fits (the same bytes as nf4), but of the two 4-bit formats it rounds more: "
            "nf4's 16 levels sit where bell-shaped weights are (section 2 measures both on "
            "q_proj)" + better
        )
    if dtype not in fits:
        from ..levers import fits as fits_gpu

        fits[dtype] = fits_gpu(model_id, gpu=Q3_GPU, dtype=dtype, seq_len=Q3_CONTEXT)
    if not fits[dtype]:
        offload = any(lv.fits and lv.dtype == dtype for lv in chosen_plan.levers[3:])
        return (
            f"in {dtype} it does not fit with {Q3_CONTEXT:,} tokens of KV cache and their "
            f"activations: cu.plan(model_id, gpu='{Q3_GPU}', seq_len={Q3_CONTEXT}) prices each "
            "lever at this context (section 4's planner at 4,096 tokens answered a shorter "
            "question)"
            + (
                f". The plan's offload row 'fits' in {dtype} only by streaming weights from CPU "
                "RAM at every step (slow): it is not the answer asked, which fits on the T4"
                if offload
                else ""
            )
        )
    return (
        f"{dtype} fits, but {lever.dtype} fits too and rounds the weights less: "
        "take the first lever that fits"
    )


def _check_q3(answer: Any, *_: Any, **__: Any) -> str | None:
    pair, problem = _q3_pair(answer)
    if problem:
        return problem
    model_id, dtype = pair
    facts = dict(_q3_facts())
    shippable = {m: p for m, (lic, p) in facts.items() if lic.category == "permissive" and p.choice}
    lic, chosen_plan = facts[model_id]
    if lic.category != "permissive":
        return (
            f"{model_id} is {lic.license} ({lic.category}): a paid product would take on its "
            "conditions. cu.license_info(model_id) tells you the group"
        )
    if chosen_plan.choice is None:
        return (
            f"with {Q3_CONTEXT:,} tokens of KV cache {model_id} does not fit on a {Q3_GPU} at "
            f"all: cu.plan(model_id, gpu='{Q3_GPU}', seq_len={Q3_CONTEXT})"
        )
    best = max(shippable, key=lambda m: shippable[m].levers[0].estimate.params)
    if model_id != best:
        return (
            f"{model_id} fits, but a larger model with a permissive license fits too: compare "
            f"cu.plan(m, gpu='{Q3_GPU}', seq_len={Q3_CONTEXT}) for every candidate"
        )
    return _q3_precision(model_id, dtype, chosen_plan)


q3 = Exercise(
    name="part8.q3",
    prompt=f"A paid chat product on one {Q3_GPU} (14.75 GiB usable), holding {Q3_CONTEXT:,}-token "
    "conversations: which model in part8.Q3_CANDIDATES do you ship, and in which precision? "
    "answer = (model_id, dtype)",
    checker=_check_q3,
    hint_text="Three tests, in this order. May a paid product use the model without taking on "
    "extra conditions (section 5's license groups)? Does it fit on the GPU with the KV cache of "
    f"a whole {Q3_CONTEXT:,}-token conversation and its activations, not just its weights? "
    "Section 4's planner priced 4,096 tokens: run cu.plan again at this length. "
    "Of the models that pass both, the one with the most parameters, in the precision that "
    "rounds least among those that fit.",
    solution_text="for m in part8.Q3_CANDIDATES:\n"
    "    lic = cu.license_info(m)   # the license first: it needs only the public card\n"
    "    if lic.category != 'permissive':   # and a gated repo's config.json needs a grant\n"
    "        print(m, lic.license, '-> not priced: its license is', lic.category)\n"
    "        continue\n"
    f"    p = cu.plan(m, gpu='{Q3_GPU}', seq_len={Q3_CONTEXT})\n"
    "    print(m, lic.category, p.choice and p.choice.dtype)\n"
    "answer = ('Qwen/Qwen2.5-7B-Instruct', 'nf4')\n"
    "# at 32,768 tokens Qwen2.5-7B in 8-bit needs 17.17 GiB with its int32 matmul buffer, over a\n"
    "# T4's 14.75 (section 3: 8-bit's longest prompt is 23,351 tokens):\n"
    "# 4-bit fits (12.19 GiB). Llama-3.1-8B fits in 4-bit too, but its license is\n"
    "# conditional, as is Gemma's (which also reads only 8,192 tokens: its config's\n"
    "# max_position_embeddings); Qwen2.5-0.5B fits but is the smaller permissive model",
)


# q4: a choice under a memory budget. The checker inspects the model the learner loaded: its
# measured bytes (footprint plus bitsandbytes' scales) against the budget, a forward pass with
# layer 11's output tripled (section 2's hot model), and what bitsandbytes made of its layers.
Q4_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
Q4_HOT_LAYER = 11
Q4_BUDGET_MIB = 162  # what the app leaves the model: NF4 + double quant + float32 rest fits


def _quant_state_bytes(model: Any) -> int:
    """The scales bitsandbytes keeps beside each quantized weight (get_memory_footprint omits
    them): a float32 scale per row in 8-bit, absmax per block and code tables in 4-bit."""
    total = 0
    for module in model.modules():
        weight = getattr(module, "weight", None)
        if getattr(weight, "SCB", None) is not None:
            total += weight.SCB.nbytes
        state = getattr(weight, "quant_state", None)
        if state is not None:
            total += state.absmax.nbytes + state.code.nbytes
            if state.nested:
                total += state.state2.absmax.nbytes + state.state2.code.nbytes
                total += state.offset.nbytes
    return total


def _q4_layers(answer: Any) -> tuple[Any, str | None]:
    """(the first attention's q_proj, None) for a loaded SmolLM2, else (None, the problem)."""
    import torch

    if type(answer).__name__ == "BitsAndBytesConfig":
        return None, (
            "that is the config: pass it to AutoModelForCausalLM.from_pretrained(smol, "
            "quantization_config=..., ...) and answer with the model it returns"
        )
    config = getattr(answer, "config", None)
    if not isinstance(answer, torch.nn.Module) or config is None:
        return None, "the answer should be the model AutoModelForCausalLM.from_pretrained returned"
    shape = tuple(getattr(config, k, None) for k in ("hidden_size", "num_hidden_layers"))
    if shape != (576, 30):
        return None, f"load {Q4_MODEL} (smol in the notebook), the model of section 2"
    try:
        return answer.model.layers[0].self_attn.q_proj, None
    except AttributeError:
        return None, "load it with AutoModelForCausalLM, as the notebook does"


def _q4_over_budget(layer: Any, held: int) -> str | None:
    """None when the measured bytes fit Q4_BUDGET_MIB, else by how much and the likely cause."""
    if held <= Q4_BUDGET_MIB * 2**20:
        return None
    why = (
        "measure each candidate as section 2's shortcut does: the 'bytes held' line of "
        "cu.load_model(smol, quantize=..., dtype=..., double_quant=...).report"
    )
    kind = type(layer).__name__
    if kind not in ("Linear4bit", "Linear8bitLt"):
        why = "its linear layers are not quantized: pass a BitsAndBytesConfig"
    elif kind == "Linear4bit" and not layer.weight.quant_state.nested:
        why = (
            "the 4-bit block scales are float32: bnb_4bit_use_double_quant=True stores them "
            "in 8 bits"
        )
    return f"it holds {held / 2**20:.1f} MiB, over the {Q4_BUDGET_MIB} MiB budget: {why}"


def _q4_overflow(layer: Any, model: Any) -> str:
    """Why the hot model's logits are not finite: which tensor is in float16."""
    import torch

    if type(layer).__name__ == "Linear8bitLt":
        return (
            "8-bit fits, but with layer 11 made hot the logits are not finite: an 8-bit layer "
            "hands its result back in the dtype of its input, float16 here, and layer 11's "
            "down_proj output (about 75,000 once tripled) is past float16's 65,504, so the "
            "residual stream turns to inf. In 8-bit only dtype=torch.float32 avoids that, and "
            "float32 embeddings take it over the budget; 4-bit layers leave room for float32"
        )
    rest = model.model.embed_tokens.weight.dtype
    if rest == torch.float16:
        return (
            "with layer 11 made hot the logits are not finite: the layers bitsandbytes leaves "
            "alone (embeddings, norms) are float16, and each 4-bit layer casts its result back "
            "to that dtype. Pass dtype=torch.float32 to from_pretrained"
        )
    if getattr(layer, "compute_dtype", None) == torch.float16:
        return (
            "with layer 11 made hot the logits are not finite: the 4-bit layers compute in "
            "float16 and overflow inside the matmul; set bnb_4bit_compute_dtype=torch.float32"
        )
    return "with layer 11 made hot (section 2) the logits are not finite: something overflows"


def _q4_rounding(layer: Any, model: Any) -> str | None:
    """None for NF4 computed in float32; else the reason another choice is worse on a T4.
    bfloat16 is refused wherever it is (compute dtype or the rest), for one reason: a T4
    (compute capability 7.5) only emulates it."""
    import torch

    in_bf16 = [
        where
        for where, dtype in (
            ("the 4-bit layers compute", getattr(layer, "compute_dtype", None)),
            ("the rest of the model runs", model.model.embed_tokens.weight.dtype),
        )
        if dtype == torch.bfloat16
    ]
    if in_bf16:
        return (
            f"{' and '.join(in_bf16)} in bfloat16: it has the range, but a T4 (compute "
            "capability 7.5) only emulates bfloat16, slowly (section 2). On a T4 the choice "
            "is float16 or float32"
        )
    if getattr(layer, "compute_dtype", None) == torch.float16:
        return (
            "it fits and stayed finite on this question, but the 4-bit layers compute in "
            "float16, which rounds more than float32 (10 mantissa bits against 23) and is one "
            "large activation away from overflowing: bnb_4bit_compute_dtype=torch.float32"
        )
    state = getattr(layer.weight, "quant_state", None)
    if state is not None and state.quant_type != "nf4":
        return (
            f"it fits and does not overflow, but {state.quant_type} rounds more than nf4 at the "
            "same bytes (section 2 measures both on q_proj: nf4's 16 levels sit where "
            "bell-shaped weights are): bnb_4bit_quant_type='nf4'"
        )
    return None


def _q4_hot_logits_finite(model: Any) -> bool:
    """Section 2's edit as a forward hook (layer 11's output × 3), then one forward pass."""
    import torch
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(Q4_MODEL)
    question = [{"role": "user", "content": "What is the capital of France?"}]
    ids = tokenizer.apply_chat_template(
        question, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    hot = model.model.layers[Q4_HOT_LAYER].mlp.down_proj
    handle = hot.register_forward_hook(lambda _m, _i, out: out * 3)
    # bitsandbytes logs "inputs will be cast ... to float16" at every 8-bit matmul: not news here
    bnb_log = logging.getLogger("bitsandbytes.autograd._functions")
    level = bnb_log.level
    bnb_log.setLevel(logging.ERROR)
    try:
        with torch.inference_mode():
            logits = model(**ids.to(model.device)).logits
    finally:
        handle.remove()
        bnb_log.setLevel(level)
    return bool(torch.isfinite(logits).all())


def _check_q4(answer: Any, *_: Any, **__: Any) -> str | None:
    layer, problem = _q4_layers(answer)
    if problem:
        return problem
    held = answer.get_memory_footprint() + _quant_state_bytes(answer)
    problem = _q4_over_budget(layer, held)
    if problem:
        return problem
    if not _q4_hot_logits_finite(answer):
        return _q4_overflow(layer, answer)
    return _q4_rounding(layer, answer)


q4 = Exercise(
    name="part8.q4",
    prompt=f"Section 2's hot SmolLM2 must run on a T4 in at most {Q4_BUDGET_MIB} MiB (weights and "
    "scales) without overflowing, with the least rounding. Load it with from_pretrained. "
    "answer = the loaded model",
    checker=_check_q4,
    hint_text="Three measurements decide: the bytes (the 'bytes held' line of "
    "cu.load_model(...).report: get_memory_footprint() plus the scales), whether the hot forward "
    "pass stays finite, and how much the format rounds. A T4 computes float16 and float32 "
    "(bfloat16 only by slow emulation). bnb_4bit_compute_dtype sets only the quantized matmuls: "
    "each 4-bit or 8-bit layer hands its result back in its input's dtype, so between the layers "
    "the model runs in from_pretrained's dtype=, and float16 there overflows (section 2's last "
    "cell: the hot model in 4-bit with float16, double quantization off and on). "
    "float32 costs bytes: find the setting that wins them back, and measure it.",
    solution_text="config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type='nf4',\n"
    "                            bnb_4bit_use_double_quant=True,\n"
    "                            bnb_4bit_compute_dtype=torch.float32)\n"
    "hot_ready = AutoModelForCausalLM.from_pretrained(smol, quantization_config=config,\n"
    "                                                 dtype=torch.float32, device_map='auto')\n"
    "# float32 between the layers: each 4-bit layer casts its output back to its input's dtype.\n"
    "# Without double quant the float32 block scales put it at 165.1 MiB, over the budget;\n"
    "# with it, 160.6 MiB. float16 for the rest fits (106.5 MiB) but overflows.\n"
    "# 8-bit: float16 overflows at layer 11's output, float32 takes 210 MiB.",
)
