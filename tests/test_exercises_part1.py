"""Part 1 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from course_utils.exercises import part1
from tests.verdicts import right, wrong


def _pinned(**changes):
    """A right q1 answer (a function), with ``changes`` applied to the dict it returns."""
    import torch
    from huggingface_hub import scan_cache_dir

    repo = next(r for r in scan_cache_dir().repos if r.repo_id == part1.SENTIMENT_MODEL)
    commit = next(rev.commit_hash for rev in repo.revisions if "714eb0f" in rev.refs)

    def pinned_kwargs():
        answer = {
            "task": "sentiment-analysis",
            "model": part1.SENTIMENT_MODEL,
            "revision": commit,
            "device": "cuda" if torch.cuda.is_available() else "cpu",
        }
        answer.update(changes)
        return {k: v for k, v in answer.items() if v is not None}

    return pinned_kwargs


def test_q1_a_pinned_pipeline_on_the_right_device():
    import torch

    right(part1.q1, _pinned())
    right(part1.q1, _pinned(task="text-classification"))
    cuda = torch.cuda

    def with_device(device):
        return lambda: {**_pinned()(), "device": device()}

    right(part1.q1, with_device(lambda: torch.device("cuda" if cuda.is_available() else "cpu")))
    right(part1.q1, with_device(lambda: 0 if cuda.is_available() else -1))
    right(part1.q1, with_device(lambda: "cuda" if cuda.device_count() else "cpu"))
    # review: the notebook's own helper crashed under the simulated GPU ("not compiled with CUDA")
    import course_utils as cu

    right(part1.q1, with_device(lambda: "cuda" if cu.gpu_report().available else "cpu"))


def _accelerator_or_cpu():
    import torch

    a = torch.accelerator.current_accelerator(check_available=True)
    return a.type if a else "cpu"


def test_q1_the_device_agnostic_torch_accelerator_answer_passes_on_both_runtimes():
    # review s8: torch.accelerator, PyTorch's own device-agnostic API, was not simulated
    import torch

    assert part1._on_runtime(_accelerator_or_cpu, gpu=True) == "cuda"
    assert part1._on_runtime(_accelerator_or_cpu, gpu=False) == "cpu"
    right(part1.q1, lambda: {**_pinned()(), "device": _accelerator_or_cpu()})
    right(
        part1.q1,
        lambda: {**_pinned()(), "device": "cuda" if torch.accelerator.is_available() else "cpu"},
    )


def test_q1_a_device_chosen_in_code_but_wrongly_is_not_told_it_was_typed():
    import torch

    def backwards():
        return {**_pinned()(), "device": "cpu" if torch.cuda.is_available() else "cuda"}

    msg = wrong(part1.q1, backwards, says="the checker can simulate a GPU only through")
    assert "typing" not in msg
    # a device typed in: the same on both runtimes, and told so
    wrong(part1.q1, _pinned(device="cpu"), says="rather than typing it")


def test_q1_an_answer_that_breaks_on_the_simulated_gpu_is_told_how_it_is_simulated():
    def crashes():
        import torch

        torch.zeros(1, device="cuda")  # a real CUDA call: the simulation cannot answer it
        return _pinned()()

    wrong(part1.q1, crashes, says="simulates the runtime through torch.cuda.is_available()")


def test_q1_refuses_what_is_not_pinned_or_not_chosen():
    # review: q1 was recall (the repo id copied from the warning); now the id alone is not enough
    wrong(part1.q1, part1.SENTIMENT_MODEL, says="function")
    wrong(part1.q1, _pinned()(), says="wrap the dict in a function")
    wrong(part1.q1, lambda: part1.SENTIMENT_MODEL, says="should return a dict")
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


def test_q1_a_typed_device_is_refused_on_either_runtime():
    # review: a dict could not tell a typed "cpu" from one chosen in code on a CPU machine
    wrong(part1.q1, _pinned(device="cpu"), says="with a GPU")
    wrong(part1.q1, _pinned(device="cuda"), says="without a GPU")


def test_q1_expected_comes_from_transformers():
    from transformers.pipelines import check_task

    _, targeted, _ = check_task("sentiment-analysis")
    assert part1._default_model_and_revision() == tuple(targeted["default"]["model"])


def scored_classifier(texts):
    """A fake whose scores are known: the score falls with the text's length, so the longest
    text is the least confident and the shortest the most."""
    return [{"label": "POSITIVE", "score": 1 - len(t) / 100} for t in texts]


def _least(classify, texts):
    results = classify(texts)
    scores = [r["score"] for r in results]
    return texts[scores.index(min(scores))]


def test_q2_right_forms():
    right(part1.q2, _least, scored_classifier)
    right(
        part1.q2,
        lambda c, t: min(zip(c(t), t, strict=True), key=lambda p: p[0]["score"])[1],
        scored_classifier,
    )
    right(
        part1.q2,
        lambda c, t: _least(lambda x: c(x, batch_size=8), t),
        lambda texts, **kw: scored_classifier(texts),
    )


def test_q2_refuses_what_does_not_read_the_results():
    def per_text(classify, texts):  # review: three calls passed the old q2
        scores = [classify(t)[0]["score"] for t in texts]
        return texts[scores.index(min(scores))]

    def most(classify, texts):
        results = classify(texts)
        scores = [r["score"] for r in results]
        return texts[scores.index(max(scores))]

    def index(classify, texts):
        scores = [r["score"] for r in classify(texts)]
        return scores.index(min(scores))

    def result(classify, texts):
        return min(classify(texts), key=lambda r: r["score"])

    def first(classify, texts):
        classify(texts)
        return texts[0]

    def reviews_of_the_notebook(classify, texts):  # answers for the notebook's list, not texts
        classify(texts)
        return "The battery died after an hour."

    wrong(part1.q2, per_text, scored_classifier, says="called classify 6 times")
    wrong(part1.q2, lambda c, t: t[0], scored_classifier, says="never called classify")
    wrong(part1.q2, most, scored_classifier, says="MOST sure")
    wrong(part1.q2, index, scored_classifier, says="index")
    wrong(part1.q2, result, scored_classifier, says="result dict")
    wrong(part1.q2, first, scored_classifier, says="less sure about")
    wrong(part1.q2, reviews_of_the_notebook, scored_classifier, says="not one of the texts")
    wrong(part1.q2, lambda c, t: None, scored_classifier, says="never called")
    wrong(part1.q2, lambda c, t: c(t) and None, scored_classifier, says="returned None")
    wrong(
        part1.q2, scored_classifier(list(part1.Q2_TEXTS)), scored_classifier, says="function itself"
    )
    wrong(part1.q2, _least, says="part1.q2.check(least_confident, classifier)")


def _lowest_positive(classify, texts):
    """The most negative text (lowest P(POSITIVE)), a wrong reading of "least sure"."""
    results = classify(texts)
    p_pos = [r["score"] if r["label"] == "POSITIVE" else 1 - r["score"] for r in results]
    return texts[p_pos.index(min(p_pos))]


# review: the lowest P(POSITIVE) was told only "the text the model is MOST sure about"; with a
# NEGATIVE result the surest (review s5) the message must name both readings
@pytest.mark.parametrize(
    "table,says",
    [
        ([("NEGATIVE", 0.90), ("POSITIVE", 0.55), ("POSITIVE", 0.99)], ["confidence in the label"]),
        (
            [("NEGATIVE", 0.99), ("POSITIVE", 0.55), ("POSITIVE", 0.90)],
            ["chance of POSITIVE", "whatever its label"],
        ),
    ],
    ids=["mixed labels", "the most negative is also the surest"],
)
def test_q2_most_negative_is_told_what_score_means(table, says):
    def classify(texts):  # labels of both kinds; score = confidence in the label chosen
        return [{"label": lab, "score": sc} for lab, sc in (table * 2)[: len(texts)]]

    for words in says:
        wrong(part1.q2, _lowest_positive, classify, says=words)
    right(part1.q2, _least, classify)


def test_q2_when_the_surest_text_is_also_the_most_negative_each_mistake_gets_its_own_message():
    # review s8: both readings got one message that named both mistakes; results that tell them
    # apart now say which one the function made
    table = [("NEGATIVE", 0.99), ("POSITIVE", 0.55), ("POSITIVE", 0.90)]

    def classify(texts, **kw):
        rows = (table * 2)[: len(texts)]
        if "top_k" in kw:  # every label, surest first
            return [[{"label": lab, "score": sc}] for lab, sc in rows]
        return [{"label": lab, "score": sc} for lab, sc in rows]

    def most(classify, texts):
        scores = [r["score"] for r in classify(texts)]
        return texts[scores.index(max(scores))]

    msg = wrong(part1.q2, most, classify, says="MOST sure about: the least sure one")
    assert "POSITIVE" not in msg
    msg = wrong(part1.q2, _lowest_positive, classify, says="you read score as the chance")
    assert "MOST sure" not in msg


def test_q2_a_hard_coded_position_fails_on_the_reversed_texts():
    texts = list(part1.Q2_TEXTS)
    scores = [r["score"] for r in scored_classifier(texts)]
    k = scores.index(min(scores))
    wrong(part1.q2, lambda c, t: (c(t), t[k])[1], scored_classifier, says="less sure about")


def test_q2_with_the_real_pipeline_stand_in():
    from transformers import pipeline

    classifier = pipeline("sentiment-analysis", model=part1.SENTIMENT_MODEL, device="cpu")
    right(part1.q2, _least, classifier)

    def most(classify, texts):
        scores = [r["score"] for r in classify(texts)]
        return texts[scores.index(max(scores))]

    wrong(part1.q2, most, classifier, says="MOST sure")


def test_q3_fair_time_right_forms():
    import time

    import course_utils as cu

    def fair_time(fn, n=3, warm=1):
        for _ in range(warm):
            fn()
        runs = []
        for _ in range(n):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        return min(runs)

    right(part1.q3, fair_time)
    right(part1.q3, lambda fn: fair_time(fn, n=4))  # best of four after a warm-up: fine too
    right(part1.q3, lambda fn: fair_time(fn, warm=2))  # two warm-ups: fine too
    # the course helper does the same, but q3 asks for it written by hand
    wrong(part1.q3, lambda fn: cu.time_call(fn).best, says="cu.time_call")


def runs(fn, n=4):
    """Each of n calls of fn timed with time.perf_counter, the warm-up included (a wrong base)."""
    import time

    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def test_q3_refuses_unfair_timings():
    import statistics
    import time

    def timed(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    wrong(part1.q3, timed, says="called fn 1 time")
    wrong(part1.q3, lambda fn: runs(fn)[0] + 0 * sum(runs(fn, 1)), says="warm-up")
    wrong(part1.q3, lambda fn: sum(runs(fn)) / 4, says="includes the warm-up")
    wrong(part1.q3, lambda fn: sum(runs(fn)[1:]) / 3, says="mean of the timed runs")
    wrong(part1.q3, lambda fn: statistics.median(runs(fn)[1:]), says="median")
    wrong(part1.q3, lambda fn: min(runs(fn)[1:]) * 1000, says="milliseconds")
    wrong(part1.q3, lambda fn: sum(runs(fn)), says="total time")
    wrong(part1.q3, 0.03, says="function itself")
    # review 2: no warm-up (three timed calls, the fastest or the last) passed; now the fastest
    # call is the 4th in one script, so both find a slower one
    wrong(part1.q3, lambda fn: min(runs(fn, 3)), says="called fn 3 time")
    wrong(part1.q3, lambda fn: min(runs(fn, 3)) + 0 * timed(fn), says="cold one")
    wrong(part1.q3, lambda fn: runs(fn, 3)[-1] + 0 * timed(fn), says="cold one")
    # a warm-up, then the last of three timed runs: the 4th call is the slow one in the other
    wrong(part1.q3, lambda fn: runs(fn)[-1], says="last timed run")
    # one timed call after the warm-up
    wrong(part1.q3, lambda fn: runs(fn, 2)[1] + 0 * sum(runs(fn, 2)), says="not the fastest")
    # review 3: no warm-up, the fastest of four (or five) timed calls gave the right number;
    # the checker now sees the clock read around the first, cold call
    wrong(part1.q3, lambda fn: min(runs(fn, 4)), says="kept it among the runs")
    wrong(part1.q3, lambda fn: min(runs(fn, 5)), says="kept it among the runs")


def test_q3_sees_the_clock_however_it_was_imported():
    from time import monotonic, perf_counter

    def timing_with(clock, warm_up):
        """fair_time reading ``clock``, a name bound before the check: the fastest of four
        timed calls, or of three after a warm-up."""

        def fair_time(fn):
            if warm_up:
                fn()
            out = []
            for _ in range(3 if warm_up else 4):
                start = clock()
                fn()
                out.append(clock() - start)
            return min(out)

        return fair_time

    wrong(part1.q3, timing_with(perf_counter, warm_up=False), says="kept it among the runs")
    right(part1.q3, timing_with(monotonic, warm_up=True))
    assert perf_counter is __import__("time").perf_counter  # the checker put the clocks back


def _fake_cache(root: Path, repo_id: str, nbytes: int) -> Path:
    """A Hugging Face cache with one repo of one file (the layout scan_cache_dir reads)."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    snap = repo / "snapshots" / ("a" * 40)
    snap.mkdir(parents=True)
    (snap / "model.safetensors").write_bytes(b"\0" * nbytes)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("a" * 40)
    return root


def _freed_mb(repo_id, commit, cache_dir=None, unit=1e6):
    """huggingface_hub's dry run, on a scan that holds only this repo (the worked solution's)."""
    from huggingface_hub import scan_cache_dir

    cache = scan_cache_dir(cache_dir)
    one = dataclasses.replace(
        cache, repos=frozenset(r for r in cache.repos if r.repo_id == repo_id)
    )
    return one.delete_revisions(commit).expected_freed_size / unit


def _freed_mb_by_hash_alone(repo_id, commit, cache_dir=None):
    """The library one-liner, repo_id unused: the commit in whichever repo the scan lists first."""
    from huggingface_hub import scan_cache_dir

    return scan_cache_dir(cache_dir).delete_revisions(commit).expected_freed_size / 1e6


def _freed_by_hand(repo_id, commit, cache_dir=None):
    """The same without delete_revisions: this revision's blobs that no other revision uses."""
    from huggingface_hub import scan_cache_dir

    repo = next(r for r in scan_cache_dir(cache_dir).repos if r.repo_id == repo_id)
    revs = repo.revisions
    mine = {f.blob_path: f.size_on_disk for r in revs if r.commit_hash == commit for f in r.files}
    others = {f.blob_path for r in revs if r.commit_hash != commit for f in r.files}
    return sum(size for blob, size in mine.items() if blob not in others) / 1e6


def _walk(repo_id, commit, cache_dir=None):
    """A learner's os.walk over the repo folder, following links: each file counted twice."""
    import os

    from huggingface_hub import constants

    name = "models--" + repo_id.replace("/", "--")
    root = os.path.join(cache_dir or constants.HF_HUB_CACHE, name)
    total = 0
    for folder, _, files in os.walk(root, followlinks=True):
        for file in files:
            total += os.path.getsize(os.path.join(folder, file))
    return total / 1e6


def _size_of(what):
    """An answer that returns the revision's or the repo's whole size_on_disk."""

    def answer(repo_id, commit, cache_dir=None):
        from huggingface_hub import scan_cache_dir

        for repo in scan_cache_dir(cache_dir).repos:
            for rev in repo.revisions:
                if repo.repo_id == repo_id and rev.commit_hash == commit:
                    return (rev if what == "revision" else repo).size_on_disk / 1e6
        return None

    return answer


def _freed_file_by_file(key):
    """A wrong q4 answer: adds up the revision's files, file by file, whose ``key`` (blob_path or
    file_name) no other revision has."""

    def answer(repo_id, commit, cache_dir=None):
        from huggingface_hub import scan_cache_dir

        repo = next(r for r in scan_cache_dir(cache_dir).repos if r.repo_id == repo_id)
        mine = next(r for r in repo.revisions if r.commit_hash == commit)
        kept = {getattr(f, key) for r in repo.revisions if r is not mine for f in r.files}
        return sum(f.size_on_disk for f in mine.files if getattr(f, key) not in kept) / 1e6

    return answer


# the worked solution without its dict: a blob two files of the revision share counts twice
_freed_per_file = _freed_file_by_file("blob_path")
# review s4e: shared files matched by name, so a re-uploaded file counts as kept
_freed_by_file_name = _freed_file_by_file("file_name")


def test_q4_a_blob_two_files_share_is_freed_once():
    # review s8: no revision of the checker's cache had two files on one blob, so this passed
    msg = wrong(part1.q4, _freed_per_file, says="counts one blob twice")
    assert "one-blob-twice" in msg
    right(part1.q4, _freed_by_hand)


def test_q4_checker_cache_has_one_blob_under_two_names(tmp_path):
    from huggingface_hub import scan_cache_dir

    cache = scan_cache_dir(part1._write_cache(tmp_path))
    (repo,) = [r for r in cache.repos if r.repo_id == "org/one-blob-twice"]
    (rev,) = repo.revisions
    blobs = {f.file_name: f.blob_path for f in rev.files}
    assert len(rev.files) == 4 and len(set(blobs.values())) == 3
    assert rev.size_on_disk == 600 + 231_508 + 2_000_000
    assert part1._sizes(repo.repo_id, rev.commit_hash, tmp_path)["right"] == rev.size_on_disk


def test_q4_right_forms():
    right(part1.q4, _freed_mb)
    right(part1.q4, _freed_by_hand)
    right(part1.q4, lambda rid, c, cd=None: sum([_freed_mb(rid, c, cd, unit=2e6)] * 2))


def test_q4_refuses_typed_numbers_unit_mix_ups_and_double_counts():
    wrong(part1.q4, 8.95, says="function itself")
    wrong(part1.q4, lambda rid, c, cd=None: 8.95, says="read the cache your function is given")
    wrong(part1.q4, lambda rid, c, cd=None: None, says="returned None")
    wrong(part1.q4, lambda rid, c, cd=None: _freed_mb(rid, c, cd, unit=2**20), says="MiB")
    wrong(part1.q4, lambda rid, c, cd=None: _freed_mb(rid, c, cd, unit=1), says="bytes")
    # review s5: round(..., 1), as the solution prints it, was told to read the right cache
    wrong(part1.q4, lambda rid, c, cd=None: round(_freed_mb(rid, c, cd), 1), says="1 decimal")
    wrong(part1.q4, lambda rid, c, cd=None: round(_freed_mb(rid, c, cd)), says="whole number")
    wrong(part1.q4, lambda rid, c, cd=None: int(_freed_mb(rid, c, cd)), says="unrounded")
    # review s7: round(..., 2) passed although the task says "unrounded"; now every rounding
    # is told it is one (the checker compares to the byte)
    wrong(part1.q4, lambda rid, c, cd=None: round(_freed_mb(rid, c, cd), 2), says="rounded to")
    wrong(part1.q4, lambda rid, c, cd=None: round(_freed_mb(rid, c, cd), 3), says="3 decimals")
    cut_to_kb = lambda rid, c, cd=None: int(_freed_mb(rid, c, cd, unit=1)) // 1000 / 1000  # noqa: E731
    wrong(part1.q4, cut_to_kb, says="rounded to 3 decimals")
    wrong(part1.q4, _size_of("revision"), says="shares with another revision")
    wrong(part1.q4, _size_of("repo"), says="whole repo")
    # review: os.walk with followlinks counts the snapshot links and the blobs
    wrong(part1.q4, _walk, says="counted twice")

    def largest(rid, c, cd=None):
        from huggingface_hub import scan_cache_dir

        for repo in scan_cache_dir(cd).repos:
            for rev in repo.revisions:
                if rev.commit_hash == c:
                    return max(f.size_on_disk for f in rev.files) / 1e6
        return None

    wrong(part1.q4, largest, says="largest file")

    def as_text(rid, c, cd=None):
        from huggingface_hub import scan_cache_dir

        return scan_cache_dir(cd).delete_revisions(c).expected_freed_size_str

    wrong(part1.q4, as_text, says="for people")


def test_q4_names_the_file_name_mix_up():
    ok, msg = part1.q4.verdict(_freed_by_file_name)
    assert ok is False
    assert "same name" in msg and "blob_path" in msg
    assert "read the cache your function is given" not in msg  # it did read that cache


def test_q4_hints_go_from_the_idea_to_the_library_call(capsys):
    q4 = dataclasses.replace(part1.q4)  # a fresh copy: no hint given yet
    q4.hint()
    first = capsys.readouterr().out
    assert "Which blobs does no other revision link to?" in first
    assert "delete_revisions" not in first and "hint() again" in first
    q4.hint()
    second = capsys.readouterr().out
    assert "part1.q4 hint 2:" in second and "delete_revisions(commit)" in second
    q4.hint()  # no third hint: the last one again
    assert capsys.readouterr().out == second


def test_q4_checker_cache_holds_what_it_says(tmp_path):
    from huggingface_hub import scan_cache_dir

    cache = scan_cache_dir(part1._write_cache(tmp_path))
    sizes = {r.repo_id: r.size_on_disk for r in cache.repos}
    assert sizes["org/tiny-bert"] == 700 + 231_508 + 466_062 + 4_200_000
    # two revisions, shared config and vocab stored once
    shared = 650 + 231_508
    assert sizes["org/two-revisions"] == shared + 466_062 + 3_000_000 + 711_000 + 3_100_000
    assert cache.delete_revisions("2" * 40).expected_freed_size == 466_062 + 3_000_000
    # every wrong total is far from the right one, so an answer rounded to 2 decimals is judged
    for rid, revisions in part1.Q4_REPOS:
        for commit in revisions:
            s = part1._sizes(rid, commit, tmp_path)
            for key in ("revision", "repo", "repo_minus", "largest"):
                assert s[key] == s["right"] or abs(s[key] - s["right"]) > 0.2e6, (rid, key)


def test_q4_the_solution_reads_only_the_repo_it_is_given(tmp_path):
    """Review s5: delete_revisions(commit) counts the commit in the first repo that has it; a
    repo cached under two ids (the old name too) can hold the same commit."""
    one = {"c" * 40: {"model.safetensors": 2_000_000}}
    two = {"c" * 40: {"model.safetensors": 2_000_000}, "d" * 40: {"model.safetensors": 2_000_000}}
    cache = part1._write_cache(tmp_path, (("org/old-name", one), ("org/new-name", two)))
    ns: dict = {}
    exec(part1.q4.solution_text.split("\n\nfor ")[0], ns)  # the function only
    assert ns["freed_mb"]("org/old-name", "c" * 40, cache) == 2.0  # the only revision there
    assert part1._sizes("org/old-name", "c" * 40, cache)["right"] == 2_000_000
    # in new-name both revisions hold the same bytes, one blob: deleting one frees nothing
    assert ns["freed_mb"]("org/new-name", "c" * 40, cache) == 0.0
    assert part1._sizes("org/new-name", "c" * 40, cache)["right"] == 0


def test_two_revision_cache_shows_one_blob_for_two_revisions():
    from huggingface_hub import scan_cache_dir

    (repo,) = scan_cache_dir(part1.two_revision_cache()).repos
    a, b = sorted(repo.revisions, key=lambda r: r.commit_hash)
    shared = {f.blob_path for f in a.files} & {f.blob_path for f in b.files}
    assert sorted(f.file_name for f in a.files if f.blob_path in shared) == [
        "config.json",
        "vocab.txt",
    ]
    kept_once = sum(f.size_on_disk for f in a.files if f.blob_path in shared)
    assert repo.size_on_disk == a.size_on_disk + b.size_on_disk - kept_once


def test_q4_model_not_cached(tmp_path):
    cache = _fake_cache(tmp_path, "org/other", 10)
    ok, msg = part1.q4.verdict(_freed_mb, cache_dir=cache)
    assert ok is False, msg
    assert "not in your cache" in msg


def test_the_worked_solutions_of_q1_and_q4_pass(capsys):
    import torch
    from huggingface_hub import scan_cache_dir
    from transformers import pipeline

    demo_cache = part1.two_revision_cache()  # what the notebook's demo cell leaves
    demo_repo = next(iter(scan_cache_dir(demo_cache).repos))
    for q in (part1.q1, part1.q4):
        ns = {"MODEL_ID": part1.SENTIMENT_MODEL, "pipeline": pipeline, "part1": part1}
        ns |= {"torch": torch, "demo_cache": demo_cache, "demo_repo": demo_repo}
        exec(q.solution_text, ns)  # the solution ends with part1.qN.check(...)
        assert f"✅ {q.name}" in capsys.readouterr().out


def test_q4_an_answer_that_deletes_is_stopped_before_it_reaches_the_learners_cache(tmp_path):
    """Review: .execute() on delete_revisions got ✅ and emptied the learner's cache."""
    from huggingface_hub import scan_cache_dir

    learners = _fake_cache(tmp_path / "learner", part1.SENTIMENT_MODEL, 4_000)
    before = sorted(str(p) for p in learners.rglob("*"))

    def deletes(repo_id, commit, cache_dir=None):
        strategy = scan_cache_dir(cache_dir).delete_revisions(commit)
        strategy.execute()
        return strategy.expected_freed_size / 1e6

    wrong(part1.q4, deletes, cache_dir=learners, says="never call .execute()")
    assert sorted(str(p) for p in learners.rglob("*")) == before  # nothing of the learner deleted


def test_q3_refuses_the_course_shortcut():
    """Review: `return cu.time_call(fn).best` passed; q3 asks for that helper written by hand."""
    import course_utils as cu

    wrong(part1.q3, lambda fn: cu.time_call(fn).best, says="cu.time_call")
    assert cu.time_call.__module__ == "course_utils.timing"  # the checker put the real one back


def test_q3_reads_timeit_default_timer_too():
    """The stand-ins take virtual time: a clock read through timeit must see it as well."""
    import timeit

    def fair_time(fn):
        fn()
        runs = []
        for _ in range(3):
            start = timeit.default_timer()
            fn()
            runs.append(timeit.default_timer() - start)
        return min(runs)

    right(part1.q3, fair_time)


def test_q3_timeit_answers_are_timed_on_the_simulated_clock():
    """Review s5: timeit.repeat binds its timer when timeit is imported; the checker saw real
    time and said "not the fastest"."""
    import datetime
    import timeit

    real = timeit.repeat.__defaults__
    right(part1.q3, lambda fn: (fn(), min(timeit.repeat(fn, number=1, repeat=3)))[1])
    right(part1.q3, lambda fn: (fn(), min(timeit.Timer(fn).repeat(3, 1)))[1])
    wrong(part1.q3, lambda fn: min(timeit.repeat(fn, number=1, repeat=4)), says="cold call")
    assert timeit.repeat.__defaults__ == real  # put back

    def wall_clock(fn):  # a clock the checker does not simulate
        fn()
        runs = []
        for _ in range(3):
            start = datetime.datetime.now()
            fn()
            runs.append((datetime.datetime.now() - start).total_seconds())
        return min(runs)

    wrong(part1.q3, wall_clock, says="a clock that the checker cannot see")


# review s6: a function that reads the first repo of the cache was told "Match the files by
# f.blob_path", and one that ignores cache_dir got "raised StopIteration: ."
def _freed_in_first_repo(repo_id, commit, cache_dir=None):
    """The right idea, in whichever repo the scan lists first (repo_id unused)."""
    from huggingface_hub import scan_cache_dir

    repo = next(iter(scan_cache_dir(cache_dir).repos))
    mine = [r for r in repo.revisions if r.commit_hash == commit]
    kept = {f.blob_path for r in repo.revisions if r not in mine for f in r.files}
    return sum(f.size_on_disk for r in mine for f in r.files if f.blob_path not in kept) / 1e6


def _ignores_cache_dir(loop):
    """The solution, scanning your own cache whatever cache_dir says: next() raises
    StopIteration where the repo is missing; a loop falls through to 0."""

    def freed_mb(repo_id, commit, cache_dir=None):
        from huggingface_hub import scan_cache_dir

        repos = scan_cache_dir().repos
        if loop:
            for repo in repos:
                if repo.repo_id == repo_id:
                    return _freed_by_hand(repo_id, commit)
            return 0
        next(r for r in repos if r.repo_id == repo_id)
        return _freed_by_hand(repo_id, commit)

    return freed_mb


def test_q4_names_a_function_that_reads_another_repo():
    msg = wrong(part1.q4, _freed_in_first_repo, says="read another repo")
    assert "repo_id == repo_id" in msg and "blob_path" not in msg


@pytest.mark.parametrize(
    "loop,says",
    [(False, "raised StopIteration: no repo 'org/"), (True, "never read the cache")],
    ids=["next() raises", "a loop returns 0"],
)
def test_q4_names_a_function_that_ignores_cache_dir(loop, says):
    msg = wrong(part1.q4, _ignores_cache_dir(loop), says="pass cache_dir on")
    assert says in msg and "using your answer raised" not in msg


def test_q4_the_place_probes_leave_other_mistakes_their_own_message():
    wrong(part1.q4, _freed_by_file_name, says="same name")
    wrong(part1.q4, lambda rid, c, cd=None: round(_freed_mb(rid, c, cd), 1), says="1 decimal")
    wrong(part1.q4, lambda rid, c, cd=None: _freed_mb(rid, c, cd, unit=2**20), says="MiB")
    right(part1.q4, _freed_by_hand)  # right answers never reach the probes


def test_q2_leaves_the_pipelines_call_count_as_it_was():
    """Review s6: each check added 4 calls, and on a GPU a pipeline's 11th call logs "You seem to
    be using the pipelines sequentially on GPU" (transformers pipelines/base.py)."""
    from transformers import pipeline

    classifier = pipeline("sentiment-analysis", model=part1.SENTIMENT_MODEL, device="cpu")
    classifier(["one call of the learner's own"])
    right(part1.q2, _least, classifier)
    wrong(part1.q2, lambda c, t: (c(t), c(t), t[0])[2], classifier, says="2 times")
    assert classifier.call_count == 1


def test_q4_solution_sets_huggingface_hubs_dry_run_beside_the_answer(capsys):
    """Review s6: the notebook named the CLI's dry run but not delete_revisions(...)."""
    from huggingface_hub import scan_cache_dir

    demo_cache = part1.two_revision_cache()
    ns = {"MODEL_ID": part1.SENTIMENT_MODEL, "part1": part1, "demo_cache": demo_cache}
    ns["demo_repo"] = next(iter(scan_cache_dir(demo_cache).repos))
    exec(part1.q4.solution_text, ns)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "dry run" in ln]
    assert [ln[:7] for ln in lines] == ["2222222", "3333333"]
    for line in lines:  # "2222222 3.466 MB; huggingface_hub's dry run: 3.466 MB"
        mine, hubs = line[8:].split("; huggingface_hub's dry run: ")
        assert mine == hubs, line


# review s7: three messages named the wrong mistake


def test_q4_names_repo_size_minus_this_revision():
    """(repo.size_on_disk - rev.size_on_disk) counts the OTHER revisions' own blobs; it reads the
    cache it is given, so the message must not send the learner after cache_dir."""

    def repo_minus_revision(repo_id, commit, cache_dir=None):
        from huggingface_hub import scan_cache_dir

        repo = next(r for r in scan_cache_dir(cache_dir).repos if r.repo_id == repo_id)
        rev = next(r for r in repo.revisions if r.commit_hash == commit)
        return (repo.size_on_disk - rev.size_on_disk) / 1e6

    msg = wrong(part1.q4, repo_minus_revision, says="repo's size minus this revision's")
    assert "cache_dir" not in msg and "read the cache" not in msg


def test_q3_accepts_a_warm_up_timed_only_to_print_or_drop_it(capsys):
    """Review s10: a helper that times the warm-up to print it, and returns the fastest of the
    later runs, is right; min() over every call still fails where the cold call is fastest."""

    def prints_the_warm_up(fn):
        first, *later = runs(fn, 4)
        print(f"warm-up: {first:.3f} s")
        return min(later)

    right(part1.q3, prints_the_warm_up)
    right(part1.q3, lambda fn: min(runs(fn, 4)[1:]))  # timed, then dropped
    msg = wrong(part1.q3, lambda fn: min(runs(fn, 4)), says="kept it among the runs")
    assert "first call happens to be the fastest" in msg


def test_q3_median_message_says_why_the_fastest():
    import statistics

    msg = wrong(part1.q3, lambda fn: statistics.median(runs(fn)[1:]), says="median")
    assert "lower bound" in msg and "other processes interfering" in msg


def test_q4_the_library_one_liner_that_ignores_repo_id_is_named():
    """Review s10: delete_revisions(commit) finds the commit in the first repo that has it; the
    checker's cache holds the commit "333…" in a renamed repo too."""
    wrong(part1.q4, _freed_mb_by_hash_alone, says="another repo of this cache that holds the same")
    right(part1.q4, _freed_mb)  # the same dry run on a scan of this repo alone


def test_q4_checker_cache_holds_one_commit_in_two_repos(tmp_path):
    from huggingface_hub import scan_cache_dir

    cache = scan_cache_dir(part1._write_cache(tmp_path))
    holders = {r.repo_id for r in cache.repos for v in r.revisions if v.commit_hash == "3" * 40}
    assert holders == {"org/two-revisions", "two-revisions"}
    new = part1._sizes("org/two-revisions", "3" * 40, tmp_path)["right"]
    old = part1._sizes("two-revisions", "3" * 40, tmp_path)["right"]
    assert abs(new - old) > 0.2e6


def test_q1_names_a_pipeline_returned_instead_of_the_dict():
    from transformers import pipeline

    def builds_a_pipeline():
        return pipeline(**_pinned()())

    wrong(
        part1.q1,
        builds_a_pipeline,
        says="return the dict of keyword arguments, not a pipeline",
    )


def test_q2_names_results_read_in_another_order():
    """Review s9: classifying sorted(texts) but indexing texts was told "MOST sure"."""

    def sorted_then_indexed(classify, texts):
        scores = [r["score"] for r in classify(sorted(texts))]
        return texts[scores.index(min(scores))]

    wrong(part1.q2, sorted_then_indexed, scored_classifier, says="in another order than texts")

    # classifying a reordered list is fine when the results are read in that same order
    def sorted_and_read_so(classify, texts):
        ordered = sorted(texts)
        scores = [r["score"] for r in classify(ordered)]
        return ordered[scores.index(min(scores))]

    right(part1.q2, sorted_and_read_so, scored_classifier)
