"""Part 6 exercises: generating text (sampling maths and the KV cache).

Each checker computes the expected value itself, from the numbers in the prompt or from the
config you pass in, so the same check works with the real models on Colab.
"""

from __future__ import annotations

import math
from typing import Any

from . import Exercise, as_int, close_to, needs, reads

# q1: temperature ------------------------------------------------------------------------
Q1_LOGITS = [2.0, 1.0, 0.0]
Q1_TEMPERATURE = 0.5


def _softmax(xs: list[float]) -> list[float]:
    m = max(xs)
    exps = [math.exp(x - m) for x in xs]
    return [e / sum(exps) for e in exps]


q1 = Exercise(
    name="part6.q1",
    prompt=(
        f"A model gives the logits {Q1_LOGITS} for three candidate tokens. Sampling with "
        f"temperature={Q1_TEMPERATURE}: what probability does the first token get? "
        "(a number between 0 and 1)"
    ),
    checker=close_to(
        _softmax([x / Q1_TEMPERATURE for x in Q1_LOGITS])[0], rel=5e-3, what="the probability"
    ),
    hint_text="Divide every logit by the temperature first, then apply softmax: "
    "torch.softmax(torch.tensor(logits) / temperature, dim=-1).",
    solution_text=(
        "import torch\n"
        f"probs = torch.softmax(torch.tensor({Q1_LOGITS}) / {Q1_TEMPERATURE}, dim=-1)\n"
        "answer = probs[0].item()   # about 0.867: a low temperature sharpens the "
        "distribution"
    ),
)


# q2: KV-cache bytes ---------------------------------------------------------------------
Q2_TOKENS = 1024


def _kv_bytes(config: Any, tokens: int, bytes_per_value: int = 2) -> int:
    """2 (K and V) x layers x kv heads x head dim x tokens x bytes, batch 1."""
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    return 2 * config.num_hidden_layers * kv_heads * head_dim * tokens * bytes_per_value


@needs("the model's config", "part6.q2.check(answer, model.config)")
@reads(as_int, "the number of bytes")
def _check_q2(answer: int, config: Any = None, *_: Any, **__: Any) -> str | None:
    expected = _kv_bytes(config, Q2_TOKENS)
    if math.isclose(answer, expected, rel_tol=1e-6):
        return None
    for wrong, why in (
        (expected // 2, "K and V are two tensors: count both"),
        (expected * 2, "bfloat16 takes 2 bytes per value, not 4"),
        (
            expected
            * config.num_attention_heads
            // (getattr(config, "num_key_value_heads", None) or config.num_attention_heads),
            "count the key/value heads (num_key_value_heads), not the query heads",
        ),
    ):
        if wrong != expected and math.isclose(answer, wrong, rel_tol=1e-6):
            return f"{answer:,} bytes: {why}"
    return f"{answer:,} bytes is {'too high' if answer > expected else 'too low'}"


q2 = Exercise(
    name="part6.q2",
    prompt=(
        f"How many bytes does the KV cache of SmolLM2-135M-Instruct take for "
        f"{Q2_TOKENS} tokens, batch 1, in bfloat16? Check with "
        "part6.q2.check(answer, model.config)."
    ),
    checker=_check_q2,
    hint_text="Per token and per layer the cache keeps one key and one value vector for each "
    "key/value head: 2 x num_hidden_layers x num_key_value_heads x head_dim values, "
    "2 bytes each in bfloat16.",
    solution_text=(
        "c = model.config\n"
        f"answer = 2 * c.num_hidden_layers * c.num_key_value_heads * c.head_dim * "
        f"{Q2_TOKENS} * 2\n"
        f"# or: cu.kv_cache_bytes(c, {Q2_TOKENS})  (23,592,960 bytes = 22.5 MiB "
        "for SmolLM2)"
    ),
)


# q3: top-p ------------------------------------------------------------------------------
Q3_PROBS = [0.05, 0.45, 0.10, 0.25, 0.15]
Q3_TOP_P = 0.8


def _top_p_survivors(probs: list[float], top_p: float) -> int:
    """How many tokens transformers' TopPLogitsWarper keeps (what generate(top_p=...) does)."""
    import torch
    from transformers.generation.logits_process import TopPLogitsWarper

    scores = torch.log(torch.tensor([probs]))
    kept = TopPLogitsWarper(top_p=top_p)(None, scores)
    return int(torch.isfinite(kept).sum())


def _check_q3(answer: Any, *_: Any, **__: Any) -> str | None:
    answer, problem = as_int(answer, "the number of tokens")
    if problem:
        return problem
    expected = _top_p_survivors(Q3_PROBS, Q3_TOP_P)
    if answer == expected:
        return None
    return (
        f"{answer} tokens is {'too many' if answer > expected else 'too few'}: sort the "
        "probabilities from high to low and keep adding tokens until their sum reaches top_p"
    )


q3 = Exercise(
    name="part6.q3",
    prompt=(
        f"The next-token probabilities are {Q3_PROBS}. With top_p={Q3_TOP_P}, how many "
        "tokens can the sampler still pick?"
    ),
    checker=_check_q3,
    hint_text="Sort from most to least likely and add them up; stop at the first token that "
    "brings the running total to top_p or above. That token is still in.",
    solution_text=(
        "# sorted: 0.45, 0.25, 0.15, 0.10, 0.05\n"
        "# running total: 0.45, 0.70, 0.85 -> 0.85 >= 0.8, so stop after the third\n"
        "answer = 3"
    ),
)

__all__ = ["q1", "q2", "q3"]
