"""Part 1 exercise checkers: not attempted, right, wrong, and what they print."""

from __future__ import annotations

from pathlib import Path

from course_utils.exercises import part1

REVIEWS = ["Loved it.", "Terrible.", "Fine, I guess."]


def fake_classifier(texts):
    """A stand-in classifier: POSITIVE when the text has an 'o', so the labels are known."""
    return [{"label": "POSITIVE" if "o" in t else "NEGATIVE", "score": 0.9} for t in texts]


def test_q1_default_model(capsys):
    assert part1.q1.check(part1.SENTIMENT_MODEL) is True
    assert "correct" in capsys.readouterr().out
    assert part1.q1.check(part1.SENTIMENT_MODEL + "@714eb0f") is True
    assert part1.q1.check("distilbert-base-uncased-finetuned-sst-2-english") is False
    assert "organisation" in capsys.readouterr().out
    assert part1.q1.check("google/vit-base-patch16-224") is False
    assert "not quite" in capsys.readouterr().out
    assert part1.q1.check(42) is False


def test_q1_expected_comes_from_transformers():
    from transformers.pipelines import check_task

    _, targeted, _ = check_task("sentiment-analysis")
    assert part1._default_model() == targeted["default"]["model"][0]


def test_q2_batch_labels(capsys):
    right = [r["label"] for r in fake_classifier(REVIEWS)]
    assert right == ["POSITIVE", "NEGATIVE", "NEGATIVE"]
    assert part1.q2.check(right, fake_classifier, REVIEWS) is True
    assert "correct" in capsys.readouterr().out
    assert part1.q2.check(["POSITIVE"] * 3, fake_classifier, REVIEWS) is False
    assert "review 1" in capsys.readouterr().out
    assert part1.q2.check(right[:2], fake_classifier, REVIEWS) is False
    assert "3 reviews" in capsys.readouterr().out
    assert part1.q2.check(fake_classifier(REVIEWS), fake_classifier, REVIEWS) is False
    assert "label string" in capsys.readouterr().out
    assert part1.q2.check(right) is False  # the context is missing
    assert "part1.q2.check(answer, classifier, reviews)" in capsys.readouterr().out


def _fake_cache(root: Path, repo_id: str, nbytes: int) -> Path:
    """A Hugging Face cache with one repo of one file (the layout scan_cache_dir reads)."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    snap = repo / "snapshots" / ("a" * 40)
    snap.mkdir(parents=True)
    (snap / "model.safetensors").write_bytes(b"\0" * nbytes)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("a" * 40)
    return root


def test_q3_cache_size(tmp_path, capsys):
    cache = _fake_cache(tmp_path, part1.SENTIMENT_MODEL, 2_500_000)
    assert part1.q3.check(2.5, cache_dir=cache) is True
    assert part1.q3.check(2_500_000 / 2**20, cache_dir=cache) is True  # MiB is fine too
    assert "correct" in capsys.readouterr().out
    assert part1.q3.check(2_500_000, cache_dir=cache) is False
    assert "bytes" in capsys.readouterr().out
    assert part1.q3.check(25, cache_dir=cache) is False
    assert "too high" in capsys.readouterr().out
    assert part1.q3.check("big", cache_dir=cache) is False


def test_q3_model_not_cached(tmp_path, capsys):
    cache = _fake_cache(tmp_path, "org/other", 10)
    assert part1.q3.check(1.0, cache_dir=cache) is False
    assert "not in this cache" in capsys.readouterr().out
