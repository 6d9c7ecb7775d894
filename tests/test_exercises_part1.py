"""Part 1 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

from __future__ import annotations

from pathlib import Path

from course_utils.exercises import part1

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
    labels = [r["label"] for r in distinct_classifier(REVIEWS)]
    assert len(set(labels)) == len(REVIEWS)
    assert part1.q2.verdict(labels, distinct_classifier, REVIEWS)[0] is True
    assert part1.q2.verdict(labels[::-1], distinct_classifier, REVIEWS)[0] is False
    assert part1.q2.verdict(sorted(labels), distinct_classifier, REVIEWS)[0] is (
        sorted(labels) == labels
    )


def test_q2_batch_labels():
    right = [r["label"] for r in fake_classifier(REVIEWS)]
    assert right == ["POSITIVE", "NEGATIVE", "NEGATIVE"]
    ok, msg = part1.q2.verdict(right, fake_classifier, REVIEWS)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part1.q2.verdict(["POSITIVE"] * 3, fake_classifier, REVIEWS)
    assert ok is False, msg
    assert "review 1" in msg
    ok, msg = part1.q2.verdict(right[:2], fake_classifier, REVIEWS)
    assert ok is False, msg
    assert "3 reviews" in msg
    ok, msg = part1.q2.verdict(fake_classifier(REVIEWS), fake_classifier, REVIEWS)
    assert ok is False, msg
    assert "label string" in msg
    ok, msg = part1.q2.verdict(right[::-1], fake_classifier, REVIEWS)  # right labels, wrong order
    assert ok is False and "review 0" in msg
    ok, msg = part1.q2.verdict(right)  # the context is missing
    assert ok is False, msg
    assert "part1.q2.check(answer, classifier, reviews)" in msg


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
    cache = _fake_cache(tmp_path, part1.SENTIMENT_MODEL, 2_500_000)
    ok, msg = part1.q3.verdict(2.5, cache_dir=cache)
    assert ok is True, msg
    ok, msg = part1.q3.verdict(2_500_000 / 2**20, cache_dir=cache)  # MiB is fine too
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part1.q3.verdict(2_500_000, cache_dir=cache)
    assert ok is False, msg
    assert "bytes" in msg
    ok, msg = part1.q3.verdict(25, cache_dir=cache)
    assert ok is False, msg
    assert "too high" in msg
    ok, msg = part1.q3.verdict("big", cache_dir=cache)
    assert ok is False, msg


def test_q3_model_not_cached(tmp_path):
    cache = _fake_cache(tmp_path, "org/other", 10)
    ok, msg = part1.q3.verdict(1.0, cache_dir=cache)
    assert ok is False, msg
    assert "not in this cache" in msg
