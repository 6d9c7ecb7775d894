"""Part 4 (Pipelines) exercises: reading pipeline outputs and comparing sentence embeddings.

Each checker recomputes the expected value from the pipeline you pass in, so the same check
works with any model (the real ones on Colab, the offline stand-ins in the test run).
"""

from __future__ import annotations

from typing import Any

from . import Exercise, as_list, as_number, needs, reads, short_repr

# q1 asks for the fill-mask pipeline's ten best words for the blank in this sentence.
Q1_TEMPLATE = "The {mask} barked at the postman all morning."
Q1_TOP_K = 10
# q3 compares these two sentences (the notebook's prompt names them too).
Q3_SENTENCES = ("The cat sleeps on the sofa.", "A kitten naps on the couch.")


def q1_text(unmasker: Any) -> str:
    """q1's sentence with the unmasker's own mask token in the blank."""
    return Q1_TEMPLATE.format(mask=unmasker.tokenizer.mask_token)


@needs("the fill-mask pipeline", "part4.q1.check(answer, unmasker)")
def _top_words(answer: Any, unmasker: Any = None, *_: Any, **__: Any) -> str | None:
    answer, problem = as_list(answer, "answer")
    if problem:
        return f"give a list of words (strings): {problem}"
    if answer and all(isinstance(a, dict) for a in answer):
        return "each item should be the word itself (its 'token_str'), not the whole dict"
    if not all(isinstance(a, str) for a in answer):
        return "each item should be a word (a string)"
    expected = [g["token_str"] for g in unmasker(q1_text(unmasker), top_k=Q1_TOP_K)]
    if len(answer) != len(expected):
        hint = " (5 is the pipeline's default: pass top_k)" if len(answer) == 5 else ""
        return f"the question asks for {len(expected)} words, your list has {len(answer)}{hint}"
    got = [a.strip() for a in answer]
    if got == expected:
        return None
    if sorted(got) == sorted(expected):
        return "the right words in the wrong order: keep the pipeline's order, best first"
    first = next(i for i, (a, e) in enumerate(zip(got, expected, strict=True)) if a != e)
    return f"word {first} of your list is not the pipeline's"


# q2: a function that cuts each entity's text out of the sentence -------------------------
# Entities whose `word` (the tokenizer's rebuilt text) differs from the span in the text: a
# hyphenated, cased name comes back with spaces and, from an uncased model, in lower case.
Q2_TEXT = "Jean-Luc Picard visited the O'Neill Institute in New York."
Q2_ENTITIES = [
    {"entity_group": "PER", "score": 0.99, "word": "jean - luc picard", "start": 0, "end": 15},
    {"entity_group": "ORG", "score": 0.97, "word": "o ' neill institute", "start": 28, "end": 45},
    {"entity_group": "LOC", "score": 0.99, "word": "new york", "start": 49, "end": 57},
]


def _spans(answer: Any, entities: Any = None, text: Any = None, *_: Any, **__: Any) -> str | None:
    if entities is None or text is None:
        return "pass the entities and the text too: part4.q2.check(spans, entities, text)"
    if not callable(answer):
        return (
            f"the answer should be your function spans (pass the function, not its "
            f"result), got {type(answer).__name__}"
        )
    for ents, txt in ((list(entities), text), (Q2_ENTITIES, Q2_TEXT)):
        expected = [txt[e["start"] : e["end"]] for e in ents]
        got, problem = as_list(answer(ents, txt), "spans(entities, text)")
        if problem:
            return problem
        if got == [e["word"] for e in ents] and got != expected:
            return (
                "spans() returns the `word` fields, which are the tokenizer's rebuilt text; "
                "cut the original text with each entity's start and end"
            )
        if got != expected:
            return (
                f"for the text {short_repr(txt)} spans() gives {short_repr(got)}, but the "
                f"text at the entities' offsets is {short_repr(expected)}"
            )
    return None


def sentence_similarity(extractor: Any, a: str, b: str) -> float:
    """Cosine similarity of two sentences: mean of the token vectors, normalised, dot product."""
    import torch

    outputs = extractor([a, b], return_tensors=True)  # one (1, tokens, hidden) per sentence
    tokenizer = getattr(extractor, "tokenizer", None)
    # a pipeline built with batch_size > 1 pads; keep only each sentence's real tokens
    lengths = (
        [len(ids) for ids in tokenizer([a, b])["input_ids"]]
        if tokenizer is not None
        else [out.shape[1] for out in outputs]
    )
    vecs = []
    for out, n in zip(outputs, lengths, strict=False):
        v = out[0, :n].mean(dim=0)
        vecs.append(v / v.norm())
    return float(torch.dot(vecs[0], vecs[1]))


@needs("the feature-extraction pipeline", "part4.q3.check(answer, extractor)")
@reads(as_number, "the similarity")
def _similarity(value: float, extractor: Any = None, *_: Any, **__: Any) -> str | None:
    expected = sentence_similarity(extractor, *Q3_SENTENCES)
    if abs(value - expected) <= 0.01:
        return None
    if abs(value) > 1.0001:
        return (
            f"{value:g} is outside [-1, 1], so the vectors were not normalised "
            "before the dot product"
        )
    return f"{value:.3f} is {'too high' if value > expected else 'too low'}"


q1 = Exercise(
    name="part4.q1",
    prompt=f"Make `answer` the list of the {Q1_TOP_K} words `unmasker` finds most likely for the "
    f"blank in {Q1_TEMPLATE.format(mask='[MASK]')!r}, best first.",
    checker=_top_words,
    hint_text="fill-mask returns 5 candidates unless you pass top_k=...; each candidate is a dict "
    "whose 'token_str' is the word. Build the sentence with unmasker.tokenizer.mask_token.",
    solution_text=(
        "mask = unmasker.tokenizer.mask_token\n"
        f"guesses = unmasker(f{Q1_TEMPLATE!r}, top_k={Q1_TOP_K})\n"
        "answer = [g['token_str'] for g in guesses]"
    ),
)

q2 = Exercise(
    name="part4.q2",
    prompt="Write spans(entities, text) that returns the list of entity texts exactly as they "
    "appear in `text`, using each entity's start and end. Pass the function itself.",
    checker=_spans,
    usage="part4.q2.check(spans, entities, text)",
    hint_text="Each entity dict has 'start' and 'end': character offsets into the text you passed "
    "in, so text[start:end] is the entity as you wrote it. `word` is the tokenizer's "
    "rebuilt version, which can differ (spaces around hyphens, lower case).",
    solution_text=(
        "def spans(entities, text):\n"
        "    return [text[e['start']:e['end']] for e in entities]\n"
        "\n"
        "part4.q2.check(spans, entities, text)"
    ),
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

__all__ = [
    "q1",
    "q2",
    "q3",
    "q1_text",
    "sentence_similarity",
    "Q1_TEMPLATE",
    "Q1_TOP_K",
    "Q2_TEXT",
    "Q2_ENTITIES",
    "Q3_SENTENCES",
]
