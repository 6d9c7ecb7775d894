"""Part 1 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

from __future__ import annotations

from pathlib import Path

from course_utils.exercises import part1
from tests.verdicts import right, wrong

REVIEWS = ["Loved it.", "Terrible.", "Fine, I guess."]


def fake_classifier(texts):
    """A stand-in classifier: POSITIVE when the text has an 'o', so the labels are known."""
    return [{"label": "POSITIVE" if "o" in t else "NEGATIVE", "score": 0.9} for t in texts]


def test_q1_default_model():
    ok, msg = part1.q1.verdict(part1.SENTIMENT_MODEL)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part1.q1.verdict(part1.SENTIMENT_MODEL + "@714eb0f")
    assert ok is True, msg
    ok, msg = part1.q1.verdict("distilbert-base-uncased-finetuned-sst-2-english")
    assert ok is False, msg
    assert "organisation" in msg
    ok, msg = part1.q1.verdict("google/vit-base-patch16-224")
    assert ok is False, msg
    assert "not quite" in msg
    ok, msg = part1.q1.verdict(42)
    assert ok is False, msg


def test_q1_expected_comes_from_transformers():
    from transformers.pipelines import check_task

    _, targeted, _ = check_task("sentiment-analysis")
    assert part1._default_model() == targeted["default"]["model"][0]


def distinct_classifier(texts):
    """A fake whose every review gets its own label, so any reordering is caught."""
    return [{"label": f"LABEL_{t[:4].upper()}", "score": 0.9} for t in texts]


def test_q2_order_matters_with_distinct_labels():
    results = distinct_classifier(REVIEWS)
    assert len({r["label"] for r in results}) == len(REVIEWS)
    right(part1.q2, results, distinct_classifier, REVIEWS)
    wrong(part1.q2, results[::-1], distinct_classifier, REVIEWS, says="review 0")


def test_q2_takes_the_result_list_and_refuses_typed_answers():
    results = fake_classifier(REVIEWS)
    right(part1.q2, results, fake_classifier, REVIEWS)
    right(part1.q2, tuple(results), fake_classifier, REVIEWS)
    # review: a hand-typed list of labels passed; now the list of labels is not the answer
    labels = [r["label"] for r in results]
    wrong(part1.q2, labels, fake_classifier, REVIEWS, says="list of labels")
    # results typed in by hand, scores rounded: not the call's result
    typed = [{"label": r["label"], "score": 0.90004 + 0.001} for r in results]
    wrong(part1.q2, typed, fake_classifier, REVIEWS, says="not numbers typed in")
    wrong(part1.q2, results[:2], fake_classifier, REVIEWS, says="3 reviews")
    wrong(part1.q2, [results], fake_classifier, REVIEWS, says="not [reviews]")
    flipped = [dict(r, label="POSITIVE") for r in results]
    wrong(part1.q2, flipped, fake_classifier, REVIEWS, says="review 1")
    wrong(part1.q2, [{"label": "POSITIVE"}] * 3, fake_classifier, REVIEWS, says="'score'")
    wrong(part1.q2, results, says="part1.q2.check(answer, classifier, reviews)")


def test_q2_with_the_real_pipeline_stand_in():
    from transformers import pipeline

    classifier = pipeline("sentiment-analysis", model=part1.SENTIMENT_MODEL, device="cpu")
    right(part1.q2, classifier(REVIEWS), classifier, REVIEWS)
    singles = [classifier(r)[0] for r in REVIEWS]  # three calls give the same dicts
    right(part1.q2, singles, classifier, REVIEWS)


def _fake_cache(root: Path, repo_id: str, nbytes: int) -> Path:
    """A Hugging Face cache with one repo of one file (the layout scan_cache_dir reads)."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    snap = repo / "snapshots" / ("a" * 40)
    snap.mkdir(parents=True)
    (snap / "model.safetensors").write_bytes(b"\0" * nbytes)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("a" * 40)
    return root


def test_q3_cache_size(tmp_path):
    cache = _fake_cache(tmp_path, part1.SENTIMENT_MODEL, 8_948_000)
    right(part1.q3, 8.948, cache_dir=cache)
    right(part1.q3, 8.95, cache_dir=cache)  # rounded to two decimals
    right(part1.q3, "8.948", cache_dir=cache)
    wrong(part1.q3, 9, cache_dir=cache, says="too high")  # review: 9 passed for 8.948 MB
    wrong(part1.q3, 8_948_000 / 2**20, cache_dir=cache, says="MiB")
    wrong(part1.q3, 8_948_000, cache_dir=cache, says="bytes")
    wrong(part1.q3, 25, cache_dir=cache, says="too high")
    wrong(part1.q3, "big", cache_dir=cache, says="number")


def test_q3_a_real_sized_model(tmp_path):
    cache = _fake_cache(tmp_path, part1.SENTIMENT_MODEL, 267_967_963)  # sst-2's safetensors size
    right(part1.q3, 267.97, cache_dir=cache)
    right(part1.q3, 268, cache_dir=cache)
    wrong(part1.q3, 255.55, cache_dir=cache, says="MiB")


def test_q3_model_not_cached(tmp_path):
    cache = _fake_cache(tmp_path, "org/other", 10)
    ok, msg = part1.q3.verdict(1.0, cache_dir=cache)
    assert ok is False, msg
    assert "not in this cache" in msg
