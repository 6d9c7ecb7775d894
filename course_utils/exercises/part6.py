"""Part 6 exercises: generating text (temperature maths, the KV cache, q3: a sampled reply that a
seed reproduces, q4: a greedy chat reply written with the chat template and generate, checked
against the same steps).

Each checker computes the expected value itself, from the numbers in the prompt, the config or
the model you pass in, so the same check works with the real models on Colab. q1 and q2 read
numbers the same way: a number, never its text.
"""

from __future__ import annotations

import math
from typing import Any

from . import Exercise, as_number, as_whole, function, needs, reads, short_repr
from .generation import watch_generate
from .no_pipeline import run_by_hand

# q1: temperature ------------------------------------------------------------------------
Q1_LOGITS = [2.0, 1.0, 0.0]
Q1_TEMPERATURE = 2.0  # no row the notebook prints gives this answer (0.506)


def _softmax(xs: list[float]) -> list[float]:
    m = max(xs)
    exps = [math.exp(x - m) for x in xs]
    return [e / sum(exps) for e in exps]


def _q1_expected(logits: list[float] = Q1_LOGITS, temperature: float = Q1_TEMPERATURE) -> float:
    return _softmax([x / temperature for x in logits])[0]


def _check_q1(answer: Any, *_: Any, **__: Any) -> str | None:
    if isinstance(answer, str):  # as q2 (as_whole) reads it: text is not a computed number
        return (
            f"the probability should be a number, not the text {short_repr(answer)}: "
            "compute it and pass the number (without quotes)"
        )
    value, problem = as_number(answer, "the probability")
    if problem:
        return problem
    expected = _q1_expected()
    if math.isclose(value, expected, abs_tol=1e-3):
        return None
    known = (
        (_softmax(Q1_LOGITS)[0], "that is temperature 1: divide every logit by the temperature"),
        (
            _softmax([x * Q1_TEMPERATURE for x in Q1_LOGITS])[0],
            "you multiplied the logits by the temperature: divide them by it",
        ),
        (
            _q1_expected([3.0, 2.0, 1.0, 0.0]),
            "that is the demo's row for four logits: these are three, [2.0, 1.0, 0.0]",
        ),
        (_softmax(Q1_LOGITS)[0] / Q1_TEMPERATURE, "divide the logits, before softmax"),
    )
    for wrong, why in known:
        if math.isclose(value, wrong, abs_tol=1e-3):
            return f"{value:g}: {why}"
    if not 0 <= value <= 1:
        return f"{value:g} is not a probability (those lie between 0 and 1)"
    return f"the probability = {value:g} is {'too high' if value > expected else 'too low'}"


q1 = Exercise(
    name="part6.q1",
    prompt=(
        f"A model gives the logits {Q1_LOGITS} for three candidate tokens. Sampling with "
        f"temperature={Q1_TEMPERATURE}: what probability does the first token get? "
        "(a number between 0 and 1)"
    ),
    checker=_check_q1,
    hint_text="Divide every logit by the temperature first, then apply softmax: "
    "torch.softmax(torch.tensor(logits) / temperature, dim=-1).",
    solution_text=(
        "import torch\n"
        f"probs = torch.softmax(torch.tensor({Q1_LOGITS}) / {Q1_TEMPERATURE}, dim=-1)\n"
        "answer = probs[0].item()   # about 0.506 (0.665 at temperature 1): a high "
        "temperature flattens the distribution"
    ),
)


# q2: KV-cache bytes ---------------------------------------------------------------------
Q2_TOKENS = 1024


class _Fields:
    """A config given as a dict (e.g. json.load of config.json) read like a config object."""

    def __init__(self, fields: dict) -> None:
        self.__dict__.update(fields)

    def __getattr__(self, name: str) -> Any:  # only called for names the dict lacks
        if name in ("num_key_value_heads", "head_dim"):
            return None
        raise AttributeError(f"the config has no {name!r}")


def _as_config(config: Any) -> Any:
    return _Fields(config) if isinstance(config, dict) else config


def _kv_bytes(config: Any, tokens: int, bytes_per_value: int = 2) -> int:
    """2 (K and V) x layers x kv heads x head dim x tokens x bytes, batch 1."""
    config = _as_config(config)
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    return 2 * config.num_hidden_layers * kv_heads * head_dim * tokens * bytes_per_value


@needs("the model's config", "part6.q2.check(answer, model.config)")
@reads(as_whole, "the number of bytes")  # 22.5 * 2**20 is an honest 23592960.0
def _check_q2(answer: int, config: Any = None, *_: Any, **__: Any) -> str | None:
    config = _as_config(config)
    try:
        expected = _kv_bytes(config, Q2_TOKENS)
    except AttributeError as exc:
        return (
            f"{exc}: pass the model's config (model.config, or the dict of its config.json) "
            "with num_hidden_layers, num_attention_heads and hidden_size"
        )
    if answer == expected:  # a count of bytes is exact: no tolerance
        return None
    if abs(answer - expected) <= 64:
        return (
            f"{answer:,} bytes is {abs(answer - expected):,} byte(s) "
            f"{'too many' if answer > expected else 'too few'}: the count is exact, so compute "
            "it from the config's whole numbers rather than typing or rounding it"
        )
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
        "#       K and V  layers                 KV heads                 values per head\n"
        f"answer = 2 * c.num_hidden_layers * c.num_key_value_heads * c.head_dim * "
        f"{Q2_TOKENS} * 2   # tokens, 2 bytes each\n"
        "# 23,592,960 bytes = 22.5 MiB for SmolLM2. (No head_dim in a config? "
        "c.hidden_size // c.num_attention_heads.)"
    ),
)


# q3: a sampled reply you can reproduce ------------------------------------------------
Q3_TOKENS = 15
# An open request, so that sampling really has choices to make (a factual question can give the
# same words under many seeds).
Q3_CONVERSATION = [{"role": "user", "content": "Write one sentence about the sea."}]
Q3_SEED = 7
Q3_OTHER_SEEDS = (1, 2, 3)
_SEED_ONCE = (
    "the same seed gave two different texts (the check drew other random numbers in between, "
    "as an app does): call torch.manual_seed(seed) inside the function, right before generate; "
    "seeding once outside it, or seeding only Python's random module, does not fix "
    "generate's draws"
)


def _decoding_problem(text: str, messages: list[dict], tokenizer: Any) -> str | None:
    """What is off in a decoded reply (q3 and q4): special tokens left in, or the prompt
    decoded with the new tokens."""
    if any(t in text for t in ("<|im_end|>", "<|im_start|>", tokenizer.eos_token or "\0")):
        return "the text holds special tokens: decode with skip_special_tokens=True"
    if messages[-1]["content"] in text:
        return (
            "the text repeats the prompt: generate returns prompt + new tokens, so decode only "
            "output[0, prompt_len:]"
        )
    return None


def _run(answer: Any, seed: int) -> Any:
    return answer([dict(m) for m in Q3_CONVERSATION], seed)


@needs("the model and its tokenizer", "part6.q3.check(answer, model, tokenizer)")
@function("sampled(messages, seed)", "calls it with seeds of its own")
def _check_q3(
    answer: Any, model: Any = None, tokenizer: Any = None, *_: Any, **__: Any
) -> str | None:
    import torch

    with watch_generate() as calls:
        first = _run(answer, Q3_SEED)
    if not isinstance(first, str):
        got = short_repr(first, 80)
        return f"sampled(messages, seed) should return the answer as a str, got {got}"
    longest = max((c.new_tokens or 0 for c in calls), default=0)
    if longest > Q3_TOKENS:
        return (
            f"generate wrote {longest} new tokens; the task allows at most {Q3_TOKENS}: pass "
            f"max_new_tokens={Q3_TOKENS} to generate (cutting the text afterwards still pays "
            "for every token)"
        )
    torch.rand(1000)  # other code draws random numbers between two calls
    if _run(answer, Q3_SEED) != first:
        return _SEED_ONCE
    if problem := _decoding_problem(first, Q3_CONVERSATION, tokenizer):
        return problem
    others = [_run(answer, seed) for seed in Q3_OTHER_SEEDS]
    if all(text == first for text in others):
        greedy = _greedy(model, tokenizer, Q3_CONVERSATION, True, Q3_TOKENS)
        if first.strip() == greedy.strip():
            return (
                "every seed gave the greedy answer: without do_sample=True, generate never "
                "draws a random number, so the seed changes nothing"
            )
        return (
            f"seeds {Q3_SEED}, {', '.join(map(str, Q3_OTHER_SEEDS))} all gave the same text: "
            "the function ignores its seed argument; pass it to torch.manual_seed"
        )
    return None


q3 = Exercise(
    name="part6.q3",
    prompt=(
        "Write sampled(messages, seed): the model's *sampled* answer (do_sample=True, any "
        f"temperature and top_p you like), at most {Q3_TOKENS} new tokens, as text without the "
        "prompt, that is the same every time it is called with the same seed. "
        "Check with part6.q3.check(answer, model, tokenizer)."
    ),
    checker=_check_q3,
    hint_text="The seed must be set in the function, right before the draws it should fix, "
    "and the draws only happen when generate samples. The rest is this part's steps: template, "
    "generate, slice, decode.",
    solution_text=(
        "def sampled(messages, seed):\n"
        "    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True,\n"
        "                                           return_dict=True, return_tensors='pt')"
        ".to(model.device)\n"
        "    prompt_len = inputs['input_ids'].shape[1]\n"
        "    torch.manual_seed(seed)   # here, right before the draws\n"
        "    with torch.inference_mode():\n"
        f"        output = model.generate(**inputs, max_new_tokens={Q3_TOKENS}, "
        "do_sample=True, temperature=0.9, top_p=0.9)\n"
        "    return tokenizer.decode(output[0, prompt_len:], skip_special_tokens=True)\n"
        "\n"
        "answer = sampled"
    ),
)


# q4: a chat reply by hand -------------------------------------------------------------
Q4_TOKENS = 20
# The check runs the learner's function on conversations of its own, so a typed answer cannot
# pass; the second has a system message of its own; the third makes SmolLM2 write a long list,
# so only max_new_tokens=20 gives the same text.
Q4_CONVERSATIONS = (
    [{"role": "user", "content": "What is the capital of Italy?"}],
    [
        {"role": "system", "content": "You answer in one short sentence."},
        {"role": "user", "content": "Name a colour."},
    ],
    [{"role": "user", "content": "Name some fruits."}],
)
_NO_PIPELINE = (
    "reply() used a pipeline: write the steps yourself (apply_chat_template, model.generate, "
    "slice off the prompt, tokenizer.decode)"
)


def _greedy(
    model: Any,
    tokenizer: Any,
    messages: list[dict],
    generation_prompt: bool,
    new_tokens: int = Q4_TOKENS,
) -> str:
    """What reply(messages) should return: template, greedy generate, prompt sliced off."""
    import torch

    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=generation_prompt, return_dict=True, return_tensors="pt"
    ).to(model.device)
    n = inputs["input_ids"].shape[1]
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=new_tokens, do_sample=False)
    return tokenizer.decode(out[0, n:], skip_special_tokens=True)


@needs("the model and its tokenizer", "part6.q4.check(answer, model, tokenizer)")
@function("reply(messages)", "runs it on conversations of its own")
def _check_q4(
    answer: Any, model: Any = None, tokenizer: Any = None, *_: Any, **__: Any
) -> str | None:
    replies, problem = run_by_hand(
        lambda messages: answer([dict(m) for m in messages]), list(Q4_CONVERSATIONS), _NO_PIPELINE
    )
    if problem:
        return problem
    for k, (messages, got) in enumerate(zip(Q4_CONVERSATIONS, replies, strict=True)):
        if not isinstance(got, str):
            return f"reply(messages) should return the answer as a str, got {short_repr(got, 80)}"
        want = _greedy(model, tokenizer, messages, generation_prompt=True)
        if got.strip() == want.strip():
            if k == 0 and answer([dict(m) for m in messages]) != got:
                return "two calls gave two answers: greedy decoding is do_sample=False"
            continue
        if problem := _decoding_problem(got, messages, tokenizer):
            return problem
        question = messages[-1]["content"]
        if got.strip() and want.strip().startswith(got.strip()):
            return (
                f"for {question!r} your answer stops early: the greedy answer runs on to "
                f"{Q4_TOKENS} new tokens (max_new_tokens={Q4_TOKENS})"
            )
        if want.strip() and got.strip().startswith(want.strip()):
            return (
                f"for {question!r} your answer runs past {Q4_TOKENS} new tokens: "
                f"max_new_tokens={Q4_TOKENS}"
            )
        if got.strip() == _greedy(model, tokenizer, messages, generation_prompt=False).strip():
            return (
                "that is what the model writes without the cue that it is its turn: "
                "apply_chat_template(..., add_generation_prompt=True)"
            )
        return (
            f"for {question!r} the greedy answer in {Q4_TOKENS} new tokens is "
            f"{short_repr(want, 120)}, yours is {short_repr(got, 120)}: use the chat template, "
            f"do_sample=False and max_new_tokens={Q4_TOKENS}"
        )
    return None


q4 = Exercise(
    name="part6.q4",
    prompt=(
        "Write reply(messages): the model's greedy answer to a conversation, at most "
        f"{Q4_TOKENS} new tokens, as text without the prompt and without special tokens, "
        "by hand (the check refuses a pipeline). "
        "Check with part6.q4.check(answer, model, tokenizer)."
    ),
    checker=_check_q4,
    hint_text="Three steps from this part: the chat template (with the cue that the "
    "assistant speaks next), greedy generation of the new tokens the prompt asks for, and "
    "decoding only what comes after the prompt, without the special tokens.",
    solution_text=(
        "def reply(messages):\n"
        "    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True,\n"
        "                                           return_dict=True, return_tensors='pt')"
        ".to(model.device)\n"
        "    prompt_len = inputs['input_ids'].shape[1]\n"
        "    with torch.inference_mode():\n"
        f"        output = model.generate(**inputs, max_new_tokens={Q4_TOKENS}, "
        "do_sample=False)\n"
        "    return tokenizer.decode(output[0, prompt_len:], skip_special_tokens=True)\n"
        "\n"
        "answer = reply"
    ),
)

__all__ = ["q1", "q2", "q3", "q4"]
