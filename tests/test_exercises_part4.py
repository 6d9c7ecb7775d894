"""Part 4 exercise checkers: not attempted, right, wrong, and what the learner is told."""

import pytest
import torch

from course_utils.exercises import part4

REVIEWS = ["Loved it.", "Awful.", "Fine, I guess."]


def fake_classifier(texts):
    """Stands in for a text-classification pipeline: a list in, a list of dicts out."""
    return [{"label": "POSITIVE" if "o" in t else "NEGATIVE", "score": 0.9} for t in texts]


TEXT = "Ada Lovelace was born in London."
ENTITIES = [  # the shape of token-classification output with aggregation_strategy="simple"
    {"entity_group": "PER", "score": 0.99, "word": "ada lovelace", "start": 0, "end": 12},
    {"entity_group": "LOC", "score": 0.98, "word": "london", "start": 25, "end": 31},
]


def fake_extractor(texts, return_tensors=True):
    """Stands in for a feature-extraction pipeline: a (1, tokens, hidden) tensor per sentence."""
    if isinstance(texts, str):
        return fake_extractor([texts])[0]
    return [torch.randn(1, 5, 8, generator=torch.Generator().manual_seed(sum(map(ord, t))))
            for t in texts]


def test_q1_states(capsys):
    assert part4.q1.check(..., fake_classifier, REVIEWS) is False
    assert "not attempted" in capsys.readouterr().out
    assert part4.q1.check(["POSITIVE", "NEGATIVE", "NEGATIVE"], fake_classifier, REVIEWS) is True
    assert "correct" in capsys.readouterr().out
    assert part4.q1.check(["NEGATIVE", "NEGATIVE", "NEGATIVE"], fake_classifier, REVIEWS) is False
    assert "not quite" in capsys.readouterr().out
    assert part4.q1.check(fake_classifier(REVIEWS), fake_classifier, REVIEWS) is False
    assert "label string" in capsys.readouterr().out  # passed the dicts, not the labels
    assert part4.q1.check(["POSITIVE"], fake_classifier, REVIEWS) is False
    assert "3 reviews" in capsys.readouterr().out


def test_q2_states(capsys):
    assert part4.q2.check(..., ENTITIES, TEXT) is False
    assert "not attempted" in capsys.readouterr().out
    assert part4.q2.check(["Ada Lovelace", "London"], ENTITIES, TEXT) is True
    assert "correct" in capsys.readouterr().out
    # the `word` field is the tokenizer's version (lower-cased here), not the original text
    assert part4.q2.check([e["word"] for e in ENTITIES], ENTITIES, TEXT) is False
    assert "text[start:end]" in capsys.readouterr().out


def test_q3_states(capsys):
    expected = part4.sentence_similarity(fake_extractor, *part4.Q3_SENTENCES)
    assert part4.q3.check(..., fake_extractor) is False
    assert "not attempted" in capsys.readouterr().out
    assert part4.q3.check(round(expected, 2), fake_extractor) is True
    assert "correct" in capsys.readouterr().out
    assert part4.q3.check(expected + 0.2, fake_extractor) is False
    assert "too high" in capsys.readouterr().out
    assert part4.q3.check(7.5, fake_extractor) is False  # forgot to normalise
    assert "normalise" in capsys.readouterr().out
    assert part4.q3.check("very close", fake_extractor) is False
    assert "should be a number" in capsys.readouterr().out


def test_sentence_similarity_is_cosine():
    a = fake_extractor(part4.Q3_SENTENCES[0])[0].mean(0)  # (tokens, hidden) -> (hidden,)
    b = fake_extractor(part4.Q3_SENTENCES[1])[0].mean(0)
    expected = torch.nn.functional.cosine_similarity(a, b, dim=0).item()
    assert part4.sentence_similarity(fake_extractor, *part4.Q3_SENTENCES) == pytest.approx(expected, abs=1e-6)


def test_real_minilm_ranks_paraphrase_above_unrelated():
    """With the real all-MiniLM-L6-v2 weights, the q3 pair is far closer than an unrelated one."""
    from transformers import pipeline

    extractor = pipeline("feature-extraction", model="sentence-transformers/all-MiniLM-L6-v2")
    close = part4.sentence_similarity(extractor, *part4.Q3_SENTENCES)
    far = part4.sentence_similarity(extractor, part4.Q3_SENTENCES[0], "Interest rates rose in March.")
    assert close > 0.5 > far
    assert part4.q3.check(round(close, 2), extractor) is True


def test_module_import_is_cheap():
    import subprocess
    import sys

    code = "import sys; from course_utils.exercises import part4; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
