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
# q3 compares these two sentences, run as one padded batch (the notebook's prompt names them
# too); the second is much longer, so the first gets many padding positions.
Q3_SENTENCES = (
    "The cat sleeps on the sofa.",
    "A small grey kitten was napping quietly on the old couch all afternoon.",
)


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


def padded_mean_similarity(extractor: Any, a: str, b: str) -> float:
    """The wrong way Gotcha 5 warns about: a plain mean over a padded batch, padding included."""
    import torch

    outputs = extractor([a, b], batch_size=2, return_tensors=True)
    vecs = [out[0].mean(dim=0) for out in outputs]
    vecs = [v / v.norm() for v in vecs]
    return float(torch.dot(vecs[0], vecs[1]))


@needs("the feature-extraction pipeline", "part4.q3.check(answer, extractor)")
@reads(as_number, "the similarity")
def _similarity(value: float, extractor: Any = None, *_: Any, **__: Any) -> str | None:
    expected = sentence_similarity(extractor, *Q3_SENTENCES)
    if abs(value - expected) <= 1e-3:  # the masked mean matches the unpadded one to ~1e-6
        return None
    if abs(value) > 1.0001:
        return (
            f"{value:g} is outside [-1, 1], so the vectors were not normalised "
            "before the dot product"
        )
    if abs(value - padded_mean_similarity(extractor, *Q3_SENTENCES)) <= 1e-3:
        return (
            "that is the plain mean over the padded batch: the padding positions were averaged "
            "in (Gotcha 5). Weight each token by the attention mask, so that only real tokens count"
        )
    return f"{value:.4f} is {'too high' if value > expected else 'too low'}"


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
    prompt=f"Run {Q3_SENTENCES[0]!r} and {Q3_SENTENCES[1]!r} through `extractor` as ONE batch "
    "(batch_size=2, so the shorter one is padded) and compute their cosine similarity with "
    "masked mean pooling: average only the real tokens, then normalise.",
    checker=_similarity,
    hint_text="extractor.tokenizer(pair, padding=True, return_tensors='pt')['attention_mask'] has "
    "1 for each real token and 0 for each padding position. Multiply the token vectors by it "
    "(mask[:, :, None]), sum over the token axis, and divide by the number of real tokens "
    "(mask.sum(dim=1, keepdim=True)). Then normalise and take the dot product.",
    solution_text=(
        "pair = [" + ", ".join(repr(s) for s in Q3_SENTENCES) + "]\n"
        "batch = extractor(pair, batch_size=2, return_tensors=True)\n"
        "hidden = torch.cat(batch)                     # (2, padded tokens, 384)\n"
        "mask = extractor.tokenizer(pair, padding=True, return_tensors='pt')['attention_mask']\n"
        "mask = mask[:, : hidden.shape[1], None].to(hidden.dtype)  # (2, tokens, 1)\n"
        "pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1)\n"
        "pooled = pooled / pooled.norm(dim=1, keepdim=True)\n"
        "answer = float(pooled[0] @ pooled[1])"
    ),
)

__all__ = [
    "q1",
    "q2",
    "q3",
    "q1_text",
    "sentence_similarity",
    "padded_mean_similarity",
    "Q1_TEMPLATE",
    "Q1_TOP_K",
    "Q2_TEXT",
    "Q2_ENTITIES",
    "Q3_SENTENCES",
]
