"""Part 4 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

import pytest
import torch

from course_utils.exercises import part4
from tests.verdicts import right, wrong

WORDS = [
    "dog",
    "puppy",
    "man",
    "cat",
    "boy",
    "woman",
    "girl",
    "neighbour",
    "child",
    "horse",
    "wolf",
    "fox",
]  # distinct words, so any reordering is visible


class FakeTokenizer:
    mask_token = "<mask>"  # not BERT's spelling: the checker must ask the pipeline


class FakeUnmasker:
    """Stands in for a fill-mask pipeline: top_k distinct candidates, best first (5 by default)."""

    tokenizer = FakeTokenizer()

    def __init__(self):
        self.texts = []

    def __call__(self, text, top_k=5):
        self.texts.append(text)
        return [
            {
                "token_str": w,
                "score": 1 / (i + 2),
                "token": i,
                "sequence": text.replace("<mask>", w),
            }
            for i, w in enumerate(WORDS[:top_k])
        ]


TEXT = "Ada Lovelace was born in London."
ENTITIES = [  # the shape of token-classification output with aggregation_strategy="simple"
    {"entity_group": "PER", "score": 0.99, "word": "Ada Lovelace", "start": 0, "end": 12},
    {"entity_group": "LOC", "score": 0.98, "word": "London", "start": 25, "end": 31},
]  # here `word` equals the span, as on the real cased model for this sentence


def spans(entities, text):
    return [text[e["start"] : e["end"]] for e in entities]


def words(entities, text):
    return [e["word"] for e in entities]


def fake_extractor(texts, return_tensors=True, **_):
    """Stands in for a feature-extraction pipeline: a (1, tokens, hidden) tensor per sentence."""
    if isinstance(texts, str):
        return fake_extractor([texts])[0]
    return [
        torch.randn(1, 5, 8, generator=torch.Generator().manual_seed(sum(map(ord, t))))
        for t in texts
    ]


def test_q1_states():
    unmasker = FakeUnmasker()
    top10 = WORDS[:10]
    right(part4.q1, top10, unmasker)
    assert (
        unmasker.texts[-1] == "The <mask> barked at the postman all morning."
    )  # its own mask token
    wrong(part4.q1, list(reversed(top10)), unmasker, says="wrong order")
    wrong(part4.q1, WORDS[:5], unmasker, says="top_k")  # forgot top_k
    wrong(part4.q1, WORDS[1:11], unmasker, says="word 0")
    wrong(
        part4.q1, unmasker("x <mask>", top_k=10), unmasker, says="token_str"
    )  # passed the dicts, not the words
    wrong(part4.q1, top10, says="part4.q1.check(answer, unmasker)")


def test_q2_judges_the_method_not_the_sentence():
    right(part4.q2, spans, ENTITIES, TEXT)
    # `word` equals the span for this sentence, but the checker also tries a sentence where
    # the tokenizer's rebuilt text differs ("jean - luc picard"), so the shortcut fails
    wrong(part4.q2, words, ENTITIES, TEXT, says="`word` fields")
    wrong(part4.q2, spans(ENTITIES, TEXT), ENTITIES, TEXT, says="pass the function")
    wrong(part4.q2, lambda e, t: [x.upper() for x in spans(e, t)], ENTITIES, TEXT, says="offsets")
    wrong(part4.q2, spans, says="part4.q2.check(spans, entities, text)")


def test_q2_sentence_differs_word_from_span():
    got = spans(part4.Q2_ENTITIES, part4.Q2_TEXT)
    assert got == ["Jean-Luc Picard", "O'Neill Institute", "New York"]
    assert got != words(part4.Q2_ENTITIES, part4.Q2_TEXT)


def test_q3_states():
    expected = part4.sentence_similarity(fake_extractor, *part4.Q3_SENTENCES)
    right(part4.q3, round(expected, 4), fake_extractor)
    wrong(part4.q3, round(expected, 2) + 0.005, fake_extractor, says="too")
    wrong(part4.q3, expected + 0.2, fake_extractor, says="too high")
    wrong(part4.q3, 7.5, fake_extractor, says="normalise")  # forgot to normalise
    wrong(part4.q3, "very close", fake_extractor, says="should be a number")


def test_sentence_similarity_is_cosine():
    a = fake_extractor(part4.Q3_SENTENCES[0])[0].mean(0)  # (tokens, hidden) -> (hidden,)
    b = fake_extractor(part4.Q3_SENTENCES[1])[0].mean(0)
    expected = torch.nn.functional.cosine_similarity(a, b, dim=0).item()
    assert part4.sentence_similarity(fake_extractor, *part4.Q3_SENTENCES) == pytest.approx(
        expected, abs=1e-6
    )


@pytest.fixture(scope="module")
def extractor():
    from transformers import pipeline

    return pipeline("feature-extraction", model="sentence-transformers/all-MiniLM-L6-v2")


def test_real_minilm_ranks_paraphrase_above_unrelated(extractor):
    """With the real all-MiniLM-L6-v2 weights, the q3 pair is far closer than an unrelated one."""
    close = part4.sentence_similarity(extractor, *part4.Q3_SENTENCES)
    far = part4.sentence_similarity(
        extractor, part4.Q3_SENTENCES[0], "Interest rates rose in March."
    )
    assert close > far + 0.3


def _masked_mean(extractor, pair):
    batch = extractor(pair, batch_size=2, return_tensors=True)
    hidden = torch.cat(batch)
    mask = extractor.tokenizer(pair, padding=True, return_tensors="pt")["attention_mask"]
    mask = mask[:, : hidden.shape[1], None].to(hidden.dtype)
    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1)
    return pooled / pooled.norm(dim=1, keepdim=True)


def test_q3_masked_mean_over_the_padded_batch(extractor):
    pair = list(part4.Q3_SENTENCES)
    lengths = [len(x) for x in extractor.tokenizer(pair)["input_ids"]]
    assert lengths[0] < lengths[1] - 5  # the first sentence really is padded
    pooled = _masked_mean(extractor, pair)
    right(part4.q3, float(pooled[0] @ pooled[1]), extractor)
    right(part4.q3, pooled[0] @ pooled[1], extractor)  # a 0-dim tensor
    right(part4.q3, round(float(pooled[0] @ pooled[1]), 3), extractor)
    sim = torch.nn.functional.cosine_similarity(pooled[0], pooled[1], dim=0)
    right(part4.q3, sim, extractor)  # any honest cosine


def test_q3_refuses_the_padded_batch_mean_the_gotcha_warns_about(extractor):
    """Review: the plain mean over a padded batch passed with the old 0.01 tolerance."""
    pair = list(part4.Q3_SENTENCES)
    batch = extractor(pair, batch_size=2, return_tensors=True)
    plain = torch.stack([out[0].mean(dim=0) for out in batch])
    plain = plain / plain.norm(dim=1, keepdim=True)
    padded = float(plain[0] @ plain[1])
    assert abs(padded - part4.sentence_similarity(extractor, *pair)) > 0.01
    wrong(part4.q3, padded, extractor, says="padded batch")
    cls = torch.stack([out[0, 0] for out in batch])  # the [CLS] vector, not a mean
    cls = cls / cls.norm(dim=1, keepdim=True)
    wrong(part4.q3, float(cls[0] @ cls[1]), extractor, says="too")
    raw = _masked_mean(extractor, pair) * 7  # not normalised
    wrong(part4.q3, float(raw[0] @ raw[1]), extractor, says="normalised")


def test_module_import_is_cheap():
    import subprocess
    import sys

    code = "import sys; from course_utils.exercises import part4; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
