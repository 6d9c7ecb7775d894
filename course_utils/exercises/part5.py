"""Part 5 (Under the hood) exercises: words split into WordPiece pieces, softmax by hand,
padding in a batch, and token classification by hand (q4), checked against the
token-classification pipeline.

Checkers recompute the expected value with the tokenizer you pass in, so they hold for the
real tokenizers on Colab and for the offline stand-ins in the test run.
"""

from __future__ import annotations

import math
from typing import Any

from . import Exercise, as_list, as_number, function, needs, reads, short_repr
from .no_pipeline import run_by_hand

Q1_TEXT = "Huggingface tokenizers handle unbelievably weird words."
Q2_LOGITS = (-1.0, 2.0)  # (NEGATIVE, POSITIVE)
Q3_BATCH = ("Short.", "This sentence is quite a bit longer than the first one.")
Q4_MODEL = "dslim/bert-base-NER"
# The check runs the learner's function on sentences it has never seen, so a list typed by hand
# for one sentence cannot pass; the second has an accent and words split into ## pieces.
Q4_SENTENCES = (
    "My name is Sarah and I live in London.",
    "Clément Delangue founded Hugging Face in New York with Julien Chaumond.",
)


def _reference_pairs(reference: Any, tokenizer: Any, sentence: str) -> list[tuple[str, str]]:
    """(token, label) as the learner's code sees them: the tokenizer's own tokens ([UNK]
    included, where the pipeline's ``word`` shows the text it stands for), the pipeline's labels."""
    enc = tokenizer(sentence, return_special_tokens_mask=True)
    ids = [i for i, s in zip(enc["input_ids"], enc["special_tokens_mask"], strict=True) if not s]
    labels = [e["entity"] for e in reference(sentence)]
    return list(zip(tokenizer.convert_ids_to_tokens(ids), labels, strict=True))


def _whole(answer: Any, what: str) -> tuple[int | None, str | None]:
    """A count: an int, or a number that is whole in any honest form (10.0, "10", a tensor)."""
    value, problem = as_number(answer, what)
    if problem:
        return None, problem
    if value != int(value):
        return None, f"{what} should be a whole number, got {short_repr(answer)}"
    return int(value), None


@needs("the tokenizer", "part5.q1.check(answer, tokenizer)")
@reads(_whole, "the number of split words")
def _split_words(answer: int, tokenizer: Any = None, *_: Any, **__: Any) -> str | None:
    enc = tokenizer(Q1_TEXT)
    words = [w for w in enc.word_ids() if w is not None]
    split = {w for w in words if words.count(w) > 1}
    if answer == len(split):
        return None
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"])
    if answer == sum(t.startswith("##") for t in tokens):
        return (
            f"{answer} counts the ## pieces, but one word can have several: count the words "
            "they continue"
        )
    if answer == sum(words.count(w) for w in split):
        return f"{answer} counts the pieces of the split words; count the words themselves"
    if answer in (len(tokens), len(words)):
        return f"{answer} is the number of tokens; the question asks how many words were split"
    if answer == len(Q1_TEXT.split()):
        return f"{answer} is the number of words; the question asks how many were split"
    return (
        f"{answer} is not the count: print tokenizer.tokenize(...) of the text and find the words "
        "whose tokens continue with ## pieces"
    )


def _softmax_positive() -> float:
    exps = [math.exp(x) for x in Q2_LOGITS]
    return exps[1] / sum(exps)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@reads(as_number, "the POSITIVE probability")
def _check_q2(value: float, *_: Any, **__: Any) -> str | None:
    expected = _softmax_positive()
    if math.isclose(value, expected, abs_tol=5e-4):
        return None
    near = lambda x: math.isclose(value, x, abs_tol=5e-4)  # noqa: E731
    if near(1 - expected):
        return f"{value:g} is NEGATIVE's share: POSITIVE is the second logit"
    if near(_sigmoid(Q2_LOGITS[1])):
        return (
            f"{value:g} is the sigmoid of 2.0 alone: softmax weighs POSITIVE's logit against "
            "NEGATIVE's (exp of each, divided by their sum)"
        )
    if value in Q2_LOGITS:
        return f"{value:g} is a raw logit, not a probability: apply softmax to both logits"
    if not 0 <= value <= 1:
        return f"{value:g} is not a probability (those lie between 0 and 1)"
    return (
        f"{value:g} is {'too high' if value > expected else 'too low'}: exp(2.0) divided by "
        "exp(-1.0) + exp(2.0)"
    )


@needs("the tokenizer", "part5.q3.check(answer, tokenizer)")
@reads(_whole, "the number of padding tokens")
def _padding(answer: int, tokenizer: Any = None, *_: Any, **__: Any) -> str | None:
    mask = tokenizer(list(Q3_BATCH), padding=True)["attention_mask"]
    expected = mask[0].count(0)
    if answer == expected:
        return None
    if answer == len(mask[0]):
        return f"{answer} is the padded length of the row: count only its 0s in attention_mask"
    if answer == mask[0].count(1):
        return f"{answer} counts the real tokens (the 1s); padding is the 0s in attention_mask"
    if answer == 0:
        return "0 is the long sentence's padding: the first row is the short one"
    return f"{answer} is not the number of 0s in the first row of attention_mask"


def _pairs(result: Any) -> tuple[list[tuple[str, Any]] | None, str | None]:
    """The learner's result as a list of (token, label) pairs, or the problem reading it."""
    items, problem = as_list(result, "what tag(text) returns", limit=512)
    if problem:
        return None, problem
    pairs = []
    for item in items:
        pair, problem = as_list(item, "each (token, label) pair", limit=4)
        if problem or len(pair) != 2:
            return None, (f"each item should be a (token, label) pair, got {short_repr(item, 60)}")
        pairs.append((pair[0], pair[1]))
    return pairs, None


_NO_PIPELINE = (
    "tag() used a pipeline: build it without one. Tokenize with ner_tokenizer, run ner_model, "
    "take the argmax of each token's logits and name it with id2label"
)


def _tagged(answer: Any, sentence: str, model: Any) -> tuple[list | None, str | None]:
    """_pairs(answer(sentence)), or a problem when id2label was asked for a label the model does
    not have: the argmax ran over the tokens (the classic wrong dimension), not the labels."""
    try:
        return _pairs(answer(sentence))
    except KeyError as err:
        key = err.args[0] if err.args else None
        if hasattr(key, "item") and getattr(key, "ndim", 1) == 0:
            key = key.item()
        num_labels = getattr(getattr(model, "config", None), "num_labels", None)
        if isinstance(key, int) and isinstance(num_labels, int) and key >= num_labels:
            return None, (
                f"tag({sentence!r}) looked up label {key}, but the model has only {num_labels} "
                f"labels (0 to {num_labels - 1}): argmax ran over the tokens, not the labels. "
                "Take it over the last dimension of the logits, one per token"
            )
        raise


@needs("the model and its tokenizer", "part5.q4.check(answer, ner_model, ner_tokenizer)")
@function("tag(text)", "runs it on sentences of its own")
def _check_q4(
    answer: Any, model: Any = None, tokenizer: Any = None, *_: Any, **__: Any
) -> str | None:
    from transformers import pipeline

    reference = pipeline("token-classification", model=model, tokenizer=tokenizer, ignore_labels=[])
    wanted = [_reference_pairs(reference, tokenizer, s) for s in Q4_SENTENCES]
    # each result is read (a generator run) while pipelines are still refused
    results, problem = run_by_hand(
        lambda s: _tagged(answer, s, model), list(Q4_SENTENCES), _NO_PIPELINE
    )
    if problem:
        return problem
    # [CLS], [SEP] and [PAD] belong to no word; [UNK] does stand for one (a word whose
    # characters the vocabulary lacks), so the pipeline keeps it and so may the learner
    special = set(tokenizer.all_special_tokens) - {tokenizer.unk_token}
    for sentence, (got, problem), want in zip(Q4_SENTENCES, results, wanted, strict=True):
        if problem:
            return problem
        tokens = [str(t) for t, _ in got]
        labels = [label for _, label in got]
        if any(t in special for t in tokens):
            return (
                f"your tokens include special tokens ({', '.join(sorted(special & set(tokens)))}): "
                "leave out [CLS] and [SEP], they belong to no word"
            )
        if not all(isinstance(label, str) for label in labels):
            return (
                f"labels should be names such as 'B-PER', got {short_repr(labels[:4], 80)}: "
                "look the index up in model.config.id2label"
            )
        if len(got) < len(want) and set(labels) <= {w for _, w in want} - {"O"}:
            return f"tag({sentence!r}) left tokens out: keep every token, the 'O' ones too"
        if tokens != [t for t, _ in want]:
            return (
                f"tag({sentence!r}) gives the tokens {short_repr(tokens, 120)}, but the tokenizer "
                f"makes {short_repr([t for t, _ in want], 120)}"
            )
        wrong = sum(a != b for a, (_, b) in zip(labels, want, strict=True))
        if wrong:
            return (
                f"tag({sentence!r}): {wrong} of {len(want)} labels differ from the pipeline's: "
                "take the argmax over the labels (the last dimension of the logits), one per token"
            )
    return None


q1 = Exercise(
    name="part5.q1",
    prompt=f"How many words of {Q1_TEXT!r} does `tokenizer` split into two or more tokens?",
    checker=_split_words,
    hint_text="Print tokenizer.tokenize(text): a piece that starts with ## continues the word "
    "before it. (encoding.word_ids() gives each token's word number too.)",
    solution_text=(
        f"words = [w for w in tokenizer({Q1_TEXT!r}).word_ids() if w is not None]\n"
        "answer = len({w for w in words if words.count(w) > 1})"
    ),
)

q2 = Exercise(
    name="part5.q2",
    prompt=f"The logits are {list(Q2_LOGITS)} for (NEGATIVE, POSITIVE). What probability does "
    "softmax give POSITIVE? (3 decimal places are enough)",
    checker=_check_q2,
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

q4 = Exercise(
    name="part5.q4",
    prompt=(
        f"Write tag(text) for {Q4_MODEL}: one (token, label) pair per token, [CLS] and [SEP] "
        "left out, by hand (tokenizer, model, argmax, id2label; no pipeline: the check refuses "
        "one). The check compares it with "
        "pipeline('token-classification', ignore_labels=[]) on sentences of its own."
    ),
    checker=_check_q4,
    hint_text="The logits have the shape (1, tokens, labels): argmax(dim=-1) gives one label "
    "index per token. convert_ids_to_tokens names the tokens; the first and last are [CLS] and "
    "[SEP], so slice [1:-1].",
    solution_text=(
        "def tag(text):\n"
        "    inputs = ner_tokenizer(text, return_tensors='pt').to(ner_model.device)\n"
        "    with torch.inference_mode():\n"
        "        logits = ner_model(**inputs).logits[0]        # (tokens, labels)\n"
        "    tokens = ner_tokenizer.convert_ids_to_tokens(inputs['input_ids'][0])\n"
        "    labels = [ner_model.config.id2label[i] for i in logits.argmax(dim=-1).tolist()]\n"
        "    return list(zip(tokens, labels))[1:-1]             # drop [CLS] and [SEP]\n"
        "\n"
        "answer = tag"
    ),
)

__all__ = ["q1", "q2", "q3", "q4", "Q1_TEXT", "Q2_LOGITS", "Q3_BATCH", "Q4_MODEL", "Q4_SENTENCES"]
