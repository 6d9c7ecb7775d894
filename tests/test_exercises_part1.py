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


def _pinned(**changes):
    """A right q1 answer on this (CPU) machine, with ``changes`` applied."""
    from huggingface_hub import scan_cache_dir

    repo = next(r for r in scan_cache_dir().repos if r.repo_id == part1.SENTIMENT_MODEL)
    commit = next(rev.commit_hash for rev in repo.revisions if "714eb0f" in rev.refs)
    answer = {
        "task": "sentiment-analysis",
        "model": part1.SENTIMENT_MODEL,
        "revision": commit,
        "device": "cpu",
    }
    answer.update(changes)
    return {k: v for k, v in answer.items() if v is not None}


def test_q1_a_pinned_pipeline_on_the_right_device():
    import torch

    right(part1.q1, _pinned())
    right(part1.q1, _pinned(task="text-classification"))
    right(part1.q1, _pinned(device=torch.device("cpu")))
    right(part1.q1, _pinned(device=-1))


def test_q1_refuses_what_is_not_pinned_or_not_chosen():
    # review: q1 was recall (the repo id copied from the warning); now the id alone is not enough
    wrong(part1.q1, part1.SENTIMENT_MODEL, says="dict")
    wrong(part1.q1, _pinned(revision=None), says="pin the revision")
    wrong(part1.q1, _pinned(revision="main"), says="branch")
    wrong(part1.q1, _pinned(revision="714eb0f"), says="full 40-character")
    wrong(part1.q1, _pinned(revision="a" * 40), says="not the commit")
    wrong(part1.q1, _pinned(model=None), says="name the model")
    wrong(part1.q1, _pinned(model="distilbert-base-uncased-finetuned-sst-2-english"), says="org")
    wrong(part1.q1, _pinned(model="google/vit-base-patch16-224"), says="not the model")
    wrong(part1.q1, _pinned(task="fill-mask"), says="task")
    wrong(part1.q1, _pinned(device=None), says="choose the device")
    wrong(part1.q1, _pinned(device="tpu"), says="not a device")
    wrong(part1.q1, _pinned(device_map="auto"), says="remove")


def test_q1_without_the_default_revision_in_the_cache(tmp_path):
    cache = _fake_cache(tmp_path, part1.SENTIMENT_MODEL, 10)  # only `main`, no 714eb0f
    wrong(part1.q1, _pinned(), cache_dir=cache, says="run the first pipeline cell")


def test_q1_a_typed_device_is_refused_on_the_other_runtime(monkeypatch):
    import torch

    wrong(part1.q1, _pinned(device="cuda"), says="has no GPU")  # this machine has no GPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    wrong(part1.q1, _pinned(device="cpu"), says="has GPU")


def test_q1_expected_comes_from_transformers():
    from transformers.pipelines import check_task

    _, targeted, _ = check_task("sentiment-analysis")
    assert part1._default_model_and_revision() == tuple(targeted["default"]["model"])


def distinct_classifier(texts):
    """A fake whose every review gets its own label, so any reordering is caught."""
    return [{"label": f"LABEL_{t[:4].upper()}", "score": 0.9} for t in texts]


def test_q2_order_matters_with_distinct_labels():
    results = distinct_classifier(REVIEWS)
    assert len({r["label"] for r in results}) == len(REVIEWS)
    right(part1.q2, results, distinct_classifier, REVIEWS)
    wrong(part1.q2, results[::-1], distinct_classifier, REVIEWS, says="order of `reviews`")


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
    reviews = ["What a lovely day.", "It does what it says.", "The battery died after an hour."]
    good = classifier(reviews)
    right(part1.q2, good, classifier, reviews)
    singles = [classifier(r)[0] for r in reviews]  # three calls give the same dicts
    right(part1.q2, singles, classifier, reviews)
    # review: on the random-weight stand-in every score is about 0.5007 and the labels agree, so
    # these passed; the order and the structure are what the checker compares now
    wrong(part1.q2, good[::-1], classifier, reviews, says="order of `reviews`")
    wrong(part1.q2, [good[1], good[0], good[2]], classifier, reviews, says="order of `reviews`")
    wrong(part1.q2, [good[0]] * 3, classifier, reviews, says="more than once")
    copies = [dict(good[0]) for _ in reviews]  # equal dicts, not the same object
    wrong(part1.q2, copies, classifier, reviews, says="review 1")
    typed = [{"label": r["label"], "score": round(r["score"], 4)} for r in good]
    wrong(part1.q2, typed, classifier, reviews, says="not numbers typed in")


def test_q2_message_names_whose_score_is_whose():
    results = fake_classifier(REVIEWS)
    typed = [dict(r, score=0.8) for r in results]
    msg = wrong(part1.q2, typed, fake_classifier, REVIEWS, says="your score for review 0")
    assert "0.800000" in msg and "classifier's 0.900000" in msg


def test_q4_fair_time_right_forms():
    import time

    import course_utils as cu

    def fair_time(fn):
        fn()
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        return min(runs)

    right(part1.q4, fair_time)
    right(part1.q4, lambda fn: cu.time_call(fn).best)  # the course helper does the same


def test_q4_refuses_unfair_timings():
    import time

    def timed(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    def runs(fn, n=4):
        out = []
        for _ in range(n):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
        return out

    wrong(part1.q4, timed, says="called fn 1 time")
    wrong(part1.q4, lambda fn: runs(fn)[0] + 0 * sum(runs(fn, 1)), says="warm-up")
    wrong(part1.q4, lambda fn: sum(runs(fn)) / 4, says="includes the warm-up")
    wrong(part1.q4, lambda fn: sum(runs(fn)[1:]) / 3, says="mean of the timed runs")
    wrong(part1.q4, lambda fn: min(runs(fn)[1:]) * 1000, says="milliseconds")
    wrong(part1.q4, lambda fn: sum(runs(fn)), says="total time")
    wrong(part1.q4, 0.03, says="function itself")


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
