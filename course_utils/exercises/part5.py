"""Part 5 (Under the hood) exercises: counting tokens, softmax by hand, padding in a batch.

Checkers recompute the expected value with the tokenizer you pass in, so they hold for the
real tokenizers on Colab and for the offline stand-ins in the test run.
"""

from __future__ import annotations

import math
from typing import Any

from . import Exercise, as_int, close_to, needs, reads

Q1_TEXT = "Hugging Face makes tokenizers fun!"
Q2_LOGITS = (-1.0, 2.0)  # (NEGATIVE, POSITIVE)
Q3_BATCH = ("Short.", "This sentence is quite a bit longer than the first one.")


@needs("the tokenizer", "part5.q1.check(answer, tokenizer)")
@reads(as_int, "the number of tokens")
def _token_count(answer: int, tokenizer: Any = None, *_: Any, **__: Any) -> str | None:
    expected = len(tokenizer(Q1_TEXT)["input_ids"])
    if answer == expected - 2:
        return f"{answer} leaves out the special tokens the tokenizer adds ([CLS] and [SEP])"
    if answer != expected:
        return f"{answer} is {'too many' if answer > expected else 'too few'} tokens"
    return None


def _softmax_positive() -> float:
    exps = [math.exp(x) for x in Q2_LOGITS]
    return exps[1] / sum(exps)


@needs("the tokenizer", "part5.q3.check(answer, tokenizer)")
@reads(as_int, "the number of padding tokens")
def _padding(answer: int, tokenizer: Any = None, *_: Any, **__: Any) -> str | None:
    batch = tokenizer(list(Q3_BATCH), padding=True)
    expected = batch["attention_mask"][0].count(0)
    if answer != expected:
        return f"{answer} is not the number of 0s in the first row of attention_mask"
    return None


q1 = Exercise(
    name="part5.q1",
    prompt=f"How many tokens, special tokens included, does `tokenizer` make from {Q1_TEXT!r}?",
    checker=_token_count,
    hint_text="len(tokenizer(text)['input_ids']) counts them; convert_ids_to_tokens shows them.",
    solution_text=f"answer = len(tokenizer({Q1_TEXT!r})['input_ids'])",
)

q2 = Exercise(
    name="part5.q2",
    prompt=f"The logits are {list(Q2_LOGITS)} for (NEGATIVE, POSITIVE). What probability does "
    "softmax give POSITIVE? (3 decimal places are enough)",
    checker=close_to(_softmax_positive(), rel=0, abs_tol=5e-4, what="the POSITIVE probability"),
    hint_text="softmax: exp of each logit divided by the sum of the exps. "
    "torch.tensor(...).softmax(-1) "
    "does it for you.",
    solution_text="answer = torch.tensor([-1.0, 2.0]).softmax(-1)[1].item()   # about 0.953",
)

q3 = Exercise(
    name="part5.q3",
    prompt=f"Tokenize {list(Q3_BATCH)} with padding=True. "
    "How many padding tokens are in the first row?",
    checker=_padding,
    hint_text="Padding positions are the 0s in attention_mask.",
    solution_text=(
        f"batch = tokenizer({list(Q3_BATCH)!r}, padding=True, return_tensors='pt')\n"
        "answer = int((batch['attention_mask'][0] == 0).sum())"
    ),
)

__all__ = ["q1", "q2", "q3", "Q1_TEXT", "Q2_LOGITS", "Q3_BATCH"]
