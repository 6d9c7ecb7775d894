"""Part 4 (Pipelines) exercises: reading pipeline outputs and comparing sentence embeddings.

Each checker recomputes the expected value from the pipeline you pass in, so the same check
works with any model (the real ones on Colab, the offline stand-ins in the test run).
"""

from __future__ import annotations

from typing import Any

from . import Exercise

# q3 compares these two sentences (the notebook's prompt names them too).
Q3_SENTENCES = ("The cat sleeps on the sofa.", "A kitten naps on the couch.")


def _labels(answer: Any, classifier: Any, reviews: list[str]) -> str | None:
    expected = [out["label"] for out in classifier(list(reviews))]
    if not isinstance(answer, (list, tuple)):
        return f"answer should be a list of labels (strings), got {type(answer).__name__}"
    if len(answer) != len(expected):
        return f"there are {len(expected)} reviews but your list has {len(answer)} labels"
    if not all(isinstance(a, str) for a in answer):
        return "each item should be a label string such as 'POSITIVE', not the whole dict"
    if list(answer) != expected:
        return "the labels are not the ones the classifier gives, in the order of the reviews"
    return None


def _spans(answer: Any, entities: list[dict], text: str) -> str | None:
    expected = [text[e["start"]:e["end"]] for e in entities]
    if not isinstance(answer, (list, tuple)):
        return f"answer should be a list of strings, got {type(answer).__name__}"
    if len(answer) != len(expected):
        return f"there are {len(expected)} entities but your list has {len(answer)} items"
    if list(answer) != expected:
        return "some spans differ from text[start:end]; slice the original text with each entity's offsets"
    return None


def sentence_similarity(extractor: Any, a: str, b: str) -> float:
    """Cosine similarity of two sentences: mean of the token vectors, normalised, dot product."""
    import torch

    outputs = extractor([a, b], return_tensors=True)  # one (1, tokens, hidden) per sentence
    tokenizer = getattr(extractor, "tokenizer", None)
    # a pipeline built with batch_size > 1 pads; keep only each sentence's real tokens
    lengths = ([len(ids) for ids in tokenizer([a, b])["input_ids"]] if tokenizer is not None
               else [out.shape[1] for out in outputs])
    vecs = []
    for out, n in zip(outputs, lengths):
        v = out[0, :n].mean(dim=0)
        vecs.append(v / v.norm())
    return float(torch.dot(vecs[0], vecs[1]))


def _similarity(answer: Any, extractor: Any) -> str | None:
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return f"answer should be a number, got {type(answer).__name__}"
    expected = sentence_similarity(extractor, *Q3_SENTENCES)
    if abs(value - expected) <= 0.01:
        return None
    if abs(value) > 1.0001:
        return f"{value:g} is outside [-1, 1], so the vectors were not normalised before the dot product"
    return f"{value:.3f} is {'too high' if value > expected else 'too low'}"


q1 = Exercise(
    name="part4.q1",
    prompt="Make `answer` the list of labels `classifier` gives to `reviews`, in order.",
    checker=_labels,
    hint_text="A list in gives a list of dicts out; each dict has a 'label' key.",
    solution_text="answer = [out['label'] for out in classifier(reviews)]",
)

q2 = Exercise(
    name="part4.q2",
    prompt="Make `answer` the list of entity spans cut from the original `text` with start/end.",
    checker=_spans,
    hint_text="Each entity dict has 'start' and 'end': character offsets into the text you passed in.",
    solution_text="answer = [text[e['start']:e['end']] for e in entities]",
)

q3 = Exercise(
    name="part4.q3",
    prompt=f"Compute the cosine similarity of {Q3_SENTENCES[0]!r} and {Q3_SENTENCES[1]!r} "
           "with `extractor` (mean pooling, then normalise).",
    checker=_similarity,
    hint_text="Reuse the embed() steps: mean over the token axis, divide by the norm, then a dot "
              "product of the two vectors gives the cosine similarity. Pass a plain float.",
    solution_text=(
        "a = extractor('The cat sleeps on the sofa.', return_tensors=True)[0].mean(dim=0)\n"
        "b = extractor('A kitten naps on the couch.', return_tensors=True)[0].mean(dim=0)\n"
        "answer = float((a / a.norm()) @ (b / b.norm()))"
    ),
)

__all__ = ["q1", "q2", "q3", "sentence_similarity", "Q3_SENTENCES"]
