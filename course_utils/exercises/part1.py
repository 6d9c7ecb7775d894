"""Part 1 exercises: a pinned pipeline, a batch of reviews, the cache, and fair timing.

Each checker works out the expected value itself (from transformers' task table, from your
classifier, from your Hugging Face cache), so the checks hold on Colab with the real models too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import Exercise, as_number, clock, function, need_function, needs, short_repr

SENTIMENT_MODEL = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"


# ----- q1: a pipeline pinned to a model, a revision and a device ---------------------------


def _default_model_and_revision(task: str = "sentiment-analysis") -> tuple[str, str]:
    """The (repo id, revision) transformers picks when ``pipeline(task)`` names no model."""
    from transformers.pipelines import check_task

    _, targeted, _ = check_task(task)
    model = targeted["default"]["model"]
    # transformers stores ("repo id", "revision"), older releases {"pt": ("repo id", ...)}
    if isinstance(model, dict):
        model = model.get("pt") or next(iter(model.values()))
    if isinstance(model, (tuple, list)):
        return str(model[0]), str(model[1]) if len(model) > 1 else "main"
    return str(model), "main"


def _default_model(task: str = "sentiment-analysis") -> str:
    """The repo id transformers picks when ``pipeline(task)`` is called with no model."""
    return _default_model_and_revision(task)[0]


def _pinned_commit(repo_id: str, short: str, cache_dir: Any = None) -> str | None:
    """The full commit hash that the default's short revision names in this cache."""
    from huggingface_hub import scan_cache_dir

    for repo in scan_cache_dir(cache_dir).repos:
        if repo.repo_id.lower() != repo_id.lower() or repo.repo_type != "model":
            continue
        for revision in repo.revisions:
            if short in revision.refs or revision.commit_hash.startswith(short):
                return revision.commit_hash
    return None


def _device_kind(device: Any) -> str | None:
    """'cuda' or 'cpu' for the ways pipeline() accepts a device, None for anything else."""
    if isinstance(device, bool):
        return None
    if isinstance(device, int):
        return "cpu" if device < 0 else "cuda"
    kind = getattr(device, "type", device)  # a torch.device has .type
    if isinstance(kind, str):
        kind = kind.strip().lower().split(":")[0]
        return kind if kind in ("cuda", "cpu") else None
    return None


# What the simulated GPU runtime's torch.cuda answers: a Colab T4 (so cu.gpu_report() works too)
_T4 = {"name": "Tesla T4", "major": 7, "minor": 5, "total_memory": 15_828_320_256}


def _on_runtime(fn: Callable[[], Any], gpu: bool) -> Any:
    """fn() as if this runtime had a GPU (gpu=True) or none: torch.cuda's and torch.accelerator's
    answers patched, consistently, so that torch.cuda.is_available(), device_count(),
    torch.accelerator.current_accelerator() and cu.gpu_report() agree."""
    from contextlib import ExitStack
    from types import SimpleNamespace
    from unittest import mock

    import torch

    answers: dict[str, Any] = {"is_available": lambda: gpu, "device_count": lambda: int(gpu)}
    if gpu:
        answers |= {
            "current_device": lambda: 0,
            "get_device_name": lambda *_: _T4["name"],
            "get_device_capability": lambda *_: (_T4["major"], _T4["minor"]),
            "get_device_properties": lambda *_: SimpleNamespace(**_T4),
            "mem_get_info": lambda *_: (_T4["total_memory"] - 2**28, _T4["total_memory"]),
        }
    accelerator: dict[str, Any] = {
        "is_available": lambda: gpu,
        "device_count": lambda: int(gpu),
        "current_accelerator": lambda *_, **__: torch.device("cuda") if gpu else None,
    }
    with ExitStack() as stack:
        for name, value in answers.items():
            stack.enter_context(mock.patch.object(torch.cuda, name, value))
        if hasattr(torch, "accelerator"):  # torch >= 2.6
            for name, value in accelerator.items():
                stack.enter_context(mock.patch.object(torch.accelerator, name, value, create=True))
        return fn()


def _check_pinned(answer: Any, *_: Any, cache_dir: Any = None, **__: Any) -> str | None:
    if isinstance(answer, dict):
        return (
            "wrap the dict in a function, def pinned_kwargs(): return dict(...), so that the "
            "checker can call it as if on a GPU runtime and on a CPU one"
        )
    if problem := need_function(
        answer, "pinned_kwargs()", "calls it on simulated runtimes of its own"
    ):
        return problem
    devices = []  # the device the function gave on each simulated runtime, to tell a typed one
    for gpu in (True, False):
        got = _outcome(_on_runtime, answer, gpu)
        devices.append(_device_kind(got.get("device")) if isinstance(got, dict) else None)
    typed = devices[0] is not None and devices[0] == devices[1]
    for gpu in (True, False):
        try:
            kwargs = _on_runtime(answer, gpu)
        except Exception as e:  # noqa: BLE001 - the learner's code, run on a simulated runtime
            if gpu and _is_pipeline(_outcome(lambda: _on_runtime(answer, False))):
                return _RETURNED_A_PIPELINE  # it built a pipeline on the simulated GPU
            return (
                f"on a simulated {'GPU' if gpu else 'CPU-only'} runtime your function raised "
                f"{type(e).__name__}: {short_repr(str(e), 80)}. The checker simulates the runtime "
                "through torch.cuda.is_available() (and device_count(), cu.gpu_report(), "
                "torch.accelerator.current_accelerator()): decide the device with one of those"
            )
        if _is_pipeline(kwargs):
            return _RETURNED_A_PIPELINE
        if not isinstance(kwargs, dict):
            return (
                "pinned_kwargs() should return a dict of pipeline()'s keyword arguments, "
                f"dict(task=..., model=..., revision=..., device=...), not {short_repr(kwargs, 60)}"
            )
        problem = _check_kwargs(kwargs, cache_dir, gpu, typed)
        if problem:
            return problem
    import torch
    from transformers import pipeline

    best = "cuda" if torch.cuda.is_available() else "cpu"
    pipe = pipeline(**answer())
    if pipe.device.type != best:
        return f"the pipeline ended up on {pipe.device}, not on {best}"
    return None


_RETURNED_A_PIPELINE = (
    "your function returned a pipeline: return the dict of keyword arguments, not a pipeline, "
    "dict(task=..., model=..., revision=..., device=...), which the checker then passes to "
    "pipeline(**pinned_kwargs()) itself"
)


def _is_pipeline(value: Any) -> bool:
    from transformers import Pipeline

    return isinstance(value, Pipeline)


def _check_kwargs(answer: dict, cache_dir: Any, gpu: bool, typed: bool = True) -> str | None:
    """What is wrong with one dict of pipeline() arguments, on a runtime with or without GPU;
    typed: the function gave the same device on both runtimes (a device typed, not chosen)."""
    extra = set(answer) - {"task", "model", "revision", "device"}
    if extra:
        return f"keep to task, model, revision and device (remove {sorted(map(str, extra))})"
    expected_model, short = _default_model_and_revision()
    if answer.get("task") not in ("sentiment-analysis", "text-classification"):
        return "task should be 'sentiment-analysis' (or its full name, 'text-classification')"
    model = answer.get("model")
    if not isinstance(model, str):
        return "name the model: model='org/name', the repo id the default warning printed"
    if model.lower() == expected_model.split("/")[-1].lower():
        return (
            "that is the model's old id (the Hub redirects it, and your cache may list it): name "
            "the repo the default warning printed, 'org/name', so the id cannot be redirected"
        )
    if model.lower() != expected_model.lower():
        return f"{short_repr(model)} is not the model transformers chose by default"
    revision = answer.get("revision")
    if revision is None:
        return "pin the revision too: without it you get whatever 'main' is on the day you run"
    if not isinstance(revision, str):
        return f"the revision is a commit hash as text, not a {type(revision).__name__}"
    if revision.strip().lower() == "main":
        return "'main' is a branch: it moves whenever the repo changes; pin a commit hash"
    commit = _pinned_commit(expected_model, short, cache_dir)
    if commit is None:
        return (
            f"this cache holds no revision {short!r} of {expected_model}: run the first "
            'pipeline cell above, pipeline("sentiment-analysis"), which downloads it'
        )
    if revision.strip().lower() == short.lower():
        return (
            f"{short!r} is the short hash from the warning; give the full 40-character commit "
            "it stands for, read from your cache with scan_cache_dir()"
        )
    if revision.strip().lower() != commit:
        return f"{short_repr(revision)} is not the commit the default's revision {short!r} names"
    if "device" not in answer:
        return "choose the device too, in code: the GPU when this runtime has one, else the CPU"
    kind = _device_kind(answer["device"])
    if kind is None:
        return f"device={short_repr(answer['device'])} is not a device; use 'cuda' or 'cpu'"
    best = "cuda" if gpu else "cpu"
    if kind != best and typed:
        return (
            f"on a runtime {'with' if gpu else 'without'} a GPU your function gave device="
            f"{short_repr(answer['device'])}, the same as on a runtime "
            f"{'without' if gpu else 'with'} one: choose it with torch.cuda.is_available() "
            "inside the function rather than typing it"
        )
    if kind != best:
        return (
            f"on a simulated runtime {'with' if gpu else 'without'} a GPU your function gave "
            f"device={short_repr(answer['device'])}: the checker can simulate a GPU only "
            "through torch.cuda.is_available() (and device_count(), cu.gpu_report(), "
            "torch.accelerator.current_accelerator()); decide the device with one of those"
        )
    return None


q1 = Exercise(
    name="part1.q1",
    prompt="Write pinned_kwargs(): return the keyword arguments for pipeline() that pin the "
    "sentiment model: task, model, revision (the full commit hash) and a device chosen in code.",
    usage="part1.q1.check(pinned_kwargs)",
    checker=_check_pinned,
    hint_text="The default warning printed the repo id and a short revision. "
    "scan_cache_dir() lists each cached repo's revisions: the one whose refs include that short "
    "revision has the full commit_hash. For the device, test torch.cuda.is_available() inside "
    "the function: the checker calls it as if on a GPU runtime and on a CPU one (it simulates the "
    "GPU through torch.cuda.is_available(), which cu.gpu_report() also asks, and through "
    "torch.accelerator).",
    solution_text="import torch\n"
    "from huggingface_hub import scan_cache_dir\n"
    "repo = next(r for r in scan_cache_dir().repos if r.repo_id == MODEL_ID)\n"
    'commit = next(rev.commit_hash for rev in repo.revisions if "714eb0f" in rev.refs)\n'
    "\n"
    "def pinned_kwargs():\n"
    "    return dict(\n"
    '        task="sentiment-analysis",\n'
    "        model=MODEL_ID,\n"
    "        revision=commit,\n"
    '        device="cuda" if torch.cuda.is_available() else "cpu",\n'
    "    )\n\n"
    "pinned = pipeline(**pinned_kwargs())  # same model, same files, on any runtime\n"
    "part1.q1.check(pinned_kwargs)",
)


# ----- q2: one batched call, then read the results -------------------------------------------

# the checker's own texts: the learner's function must work on texts it has never seen
Q2_TEXTS = (
    "The screen cracked on day two.",
    "Honestly, it is fine.",
    "Wonderful service and a fair price.",
    "I am not sure what to think of it.",
    "Never again.",
    "It arrived on time.",
)


class _Counting:
    """The learner's classifier, wrapped to count calls (one batched call is asked for)."""

    def __init__(self, pipe: Callable[..., Any]) -> None:
        self.pipe = pipe
        self.calls = 0
        self.given: Any = None  # the texts it was called with

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.given = args[0] if args else kwargs.get("inputs")
        return self.pipe(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # .model, .device, ... as on the pipeline
        return getattr(self.pipe, name)


def _most_negative(results: list, texts: list) -> str:
    """The text with the lowest P(POSITIVE): the answer of a learner who reads score as that."""
    p_positive = [
        float(r["score"]) if str(r["label"]).upper().startswith("POS") else 1 - float(r["score"])
        for r in results
    ]
    return texts[p_positive.index(min(p_positive))]


@needs("the classifier", "part1.q2.check(least_confident, classifier)")
@function("least_confident(classify, texts)", "runs it on texts of its own")
def _check_least_confident(
    answer: Any, classifier: Callable[..., Any] | None = None, **__: Any
) -> str | None:
    # a pipeline counts its calls and, on a GPU, logs "You seem to be using the pipelines
    # sequentially on GPU" after the 10th (transformers pipelines/base.py): the checker's own
    # calls are put back off the count, so checking twice does not bring that warning
    calls_before = getattr(classifier, "call_count", None)
    try:
        return _judge_least_confident(answer, classifier)
    finally:
        if isinstance(calls_before, int):
            classifier.call_count = calls_before  # type: ignore[union-attr]


# Results in which the surest text (the first) is not the most negative one (the third): the
# text a wrong answer returns for them says which of the two wrong readings it made
_TOLD_APART = {
    "Loved it.": ("POSITIVE", 0.99),
    "Not great.": ("NEGATIVE", 0.60),
    "Awful.": ("NEGATIVE", 0.95),
    "Fine, I guess.": ("POSITIVE", 0.70),
}


def _told_apart(texts: Any, *_: Any, **kwargs: Any) -> list:
    """A classify() for _TOLD_APART's texts, in the shapes a pipeline gives (top_k=None: every
    label of each text, surest first)."""
    rows = [_TOLD_APART[t] for t in texts]
    if "top_k" in kwargs:
        other = {"POSITIVE": "NEGATIVE", "NEGATIVE": "POSITIVE"}
        return [
            [{"label": label, "score": score}, {"label": other[label], "score": 1 - score}]
            for label, score in rows
        ]
    return [{"label": label, "score": score} for label, score in rows]


def _judge_least_confident(answer: Any, classifier: Callable[..., Any]) -> str | None:
    for texts in (list(Q2_TEXTS), list(reversed(Q2_TEXTS))):
        results = classifier(list(texts))
        scores = [float(r["score"]) for r in results]
        want = texts[scores.index(min(scores))]
        most = texts[scores.index(max(scores))]
        counting = _Counting(classifier)
        got = answer(counting, list(texts))
        if counting.calls == 0:
            return "your function never called classify: classify the texts it is given"
        if counting.calls > 1:
            return (
                f"your function called classify {counting.calls} times for {len(texts)} texts: "
                "call it once with the whole list (a batch), then read the results"
            )
        if got is None:
            return "your function returned None: return the text the model is least sure about"
        if isinstance(got, bool) or not isinstance(got, (str, int, dict, list, tuple)):
            return f"return the text itself, not a {type(got).__name__}"
        if isinstance(got, int):
            return "that is an index: return the text itself, texts[i]"
        if isinstance(got, dict):
            return (
                "that is a result dict: return the text it belongs to (the same position in texts)"
            )
        if not isinstance(got, str):
            return "return one text, the one with the lowest score"
        if got not in texts:
            return f"{short_repr(got, 50)} is not one of the texts your function was given"
        if got == want:
            continue
        given = counting.given
        if (
            isinstance(given, (list, tuple))
            and sorted(map(str, given)) == sorted(texts)
            and list(given) != texts
        ):
            score_of = dict(zip(texts, scores, strict=True))
            given_scores = [score_of[str(t)] for t in given]
            # the lowest score of the reordered list's results, read at that position in texts
            if got == texts[given_scores.index(min(given_scores))]:
                return (
                    "your function classified the texts in another order than texts (sorted or "
                    "shuffled), then read the results by position in texts: results come in the "
                    "order of the list you pass, so index that same list"
                )
        most_negative = _most_negative(results, texts)
        if got == most and got == most_negative:
            # here a NEGATIVE result is the surest one: both wrong readings give this text, so
            # results that tell them apart say which one the function made
            if _outcome(answer, _told_apart, list(_TOLD_APART)) == "Awful.":
                most = None  # it returned the most negative text there, not the surest
            else:
                most_negative = None
        if got == most:
            return (
                "that is the text the model is MOST sure about: the least sure one has the "
                "lowest score"
            )
        if got == most_negative:
            return (
                "that is the most negative text: you read score as the chance of POSITIVE, "
                "but score is the model's confidence in the label it chose (a NEGATIVE result "
                "with score 0.99 is a sure one); the least sure text has the lowest score, "
                "whatever its label"
            )
        return (
            f"the model is less sure about {short_repr(want, 50)} (score {min(scores):.6f}) "
            f"than about {short_repr(got, 50)}: find the lowest score in the results"
        )
    return None


q2 = Exercise(
    name="part1.q2",
    prompt="Write least_confident(classify, texts): classify all the texts with ONE call and "
    "return the text whose result has the lowest score.",
    checker=_check_least_confident,
    hint_text="classify(texts) returns one dict per text, in the same order, each with a "
    "'label' and a 'score' (the model's confidence in that label). Put the scores in a list, "
    "find the position of the smallest, and return the text at that position.",
    solution_text="def least_confident(classify, texts):\n"
    "    results = classify(texts)  # one call: a batch\n"
    '    scores = [r["score"] for r in results]\n'
    "    return texts[scores.index(min(scores))]\n\n"
    "print(least_confident(classifier, reviews))",
)


# ----- q4: what would deleting one revision free? --------------------------------------------

# The checker's own cache: (repo id, {commit: {file name: bytes}}). "org/two-revisions" has two
# revisions, as after a re-upload: they share config.json and vocab.txt (stored once, in blobs/)
# and differ in their weights and tokenizer. Deleting one revision frees only the files no other
# revision uses. In "org/one-blob-twice" two files of one revision hold the same bytes (a vocab
# kept at the top and in tokenizer/): one blob, freed once. The checker compares to the byte, so
# that a rounded answer is told it is rounded (the task says "unrounded"); each wrong total is at
# least 0.2 MB away from the right one.
Q4_REPOS = (
    (
        "org/tiny-bert",
        {
            "1" * 40: {
                "config.json": 700,
                "vocab.txt": 231_508,
                "tokenizer.json": 466_062,
                "model.safetensors": 4_200_000,
            }
        },
    ),
    (
        "org/two-revisions",
        {
            "2" * 40: {
                "config.json": 650,
                "vocab.txt": 231_508,
                "tokenizer.json": 466_062,
                "model.safetensors": 3_000_000,
            },
            "3" * 40: {
                "config.json": 650,
                "vocab.txt": 231_508,
                "tokenizer.json": 711_000,
                "model.safetensors": 3_100_000,
            },
        },
    ),
    (
        "org/one-blob-twice",
        {
            "4" * 40: {
                "config.json": 600,
                "vocab.txt": 231_508,
                "tokenizer/vocab.txt": 231_508,
                "model.safetensors": 2_000_000,
            }
        },
    ),
    (
        # the repo of "org/two-revisions" under its old name, as after a rename: it holds the
        # commit "333…" too, alone, so deleting it there frees the whole revision. A commit hash
        # alone does not say which repo (delete_revisions(commit) takes the first that has it)
        "two-revisions",
        {
            "3" * 40: {
                "config.json": 650,
                "vocab.txt": 231_508,
                "tokenizer.json": 711_000,
                "model.safetensors": 3_100_000,
            }
        },
    ),
)
Q4_TOLERANCE_MB = 1e-6  # one byte: float arithmetic, not rounding
Q4_WRONG_SLACK_MB = 0.0051  # a wrong total is still recognised with a small file (refs/main) more


def _write_cache(root: Any, repos: Any = Q4_REPOS) -> Any:
    """A Hugging Face cache in the layout scan_cache_dir() reads: blobs named by content,
    snapshots that link to them, a `main` ref."""
    import hashlib
    import os
    from pathlib import Path

    root = Path(root)
    for repo_id, revisions in repos:
        repo = root / f"models--{repo_id.replace('/', '--')}"
        (repo / "blobs").mkdir(parents=True)
        (repo / "refs").mkdir()
        for commit, files in revisions.items():
            snap = repo / "snapshots" / commit
            snap.mkdir(parents=True)
            for name, size in files.items():
                # the contents depend on the file's own name, not its folder: the same file in
                # two folders of a revision is one blob
                data = f"{repo_id}/{Path(name).name}/{size}".encode().ljust(size, b"\0")
                blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
                if not blob.exists():
                    blob.write_bytes(data)
                link = snap / name
                link.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(os.path.relpath(blob, link.parent), link)
            (repo / "refs" / "main").write_text(commit)
    return root


def two_revision_cache() -> str:
    """A new folder holding a small Hugging Face cache: q4's repo with two revisions that share
    two files (made-up commits "222…" and "333…"). The notebook scans it before q4 to show one
    blob serving two revisions; nothing in it is downloaded."""
    import tempfile

    return str(_write_cache(tempfile.mkdtemp(prefix="hf-cache-demo-"), Q4_REPOS[1:2]))


def _sizes(repo_id: str, commit: str, cache_dir: Any) -> dict[str, float] | None:
    """The right number of bytes and the usual wrong ones, for one revision of one cache."""
    from huggingface_hub import scan_cache_dir

    cache = scan_cache_dir(cache_dir)
    for repo in cache.repos:
        if repo.repo_id.lower() != repo_id.lower() or repo.repo_type != "model":
            continue
        for revision in repo.revisions:
            if revision.commit_hash == commit:
                # a name another revision also has is not a shared file: its contents may differ
                other_names = {
                    f.file_name for r in repo.revisions if r is not revision for f in r.files
                }
                # the blobs of this revision that no other revision OF THIS REPO links to
                # (delete_revisions(commit) finds a commit by hash in whichever repo comes first)
                others = {f.blob_path for r in repo.revisions if r is not revision for f in r.files}
                mine = {f.blob_path: f.size_on_disk for f in revision.files}
                return {
                    "right": sum(n for blob, n in mine.items() if blob not in others),
                    "revision": revision.size_on_disk,
                    "repo": repo.size_on_disk,
                    # what the OTHER revisions keep on their own, not what this one frees
                    "repo_minus": repo.size_on_disk - revision.size_on_disk,
                    "largest": max(f.size_on_disk for f in revision.files),
                    # one file at a time: a blob that two files of this revision link to, twice
                    "per_file": sum(
                        f.size_on_disk for f in revision.files if f.blob_path not in others
                    ),
                    "by_name": sum(
                        f.size_on_disk for f in revision.files if f.file_name not in other_names
                    ),
                }
    return None


def _cases(cache_dir: Any, repo_id: str) -> list[tuple[str, str]]:
    """(repo id, commit) of each revision of repo_id in cache_dir."""
    from huggingface_hub import scan_cache_dir

    return [
        (repo.repo_id, rev.commit_hash)
        for repo in scan_cache_dir(cache_dir).repos
        if repo.repo_id.lower() == repo_id.lower() and repo.repo_type == "model"
        for rev in repo.revisions
    ]


@function("freed_mb(repo_id, commit, cache_dir=None)", "runs it on caches of its own")
def _check_freed(
    answer: Any, *_: Any, cache_dir: Any = None, repo_id: str = SENTIMENT_MODEL, **__: Any
) -> str | None:
    import tempfile

    yours = _cases(cache_dir, repo_id)
    if not yours:
        return f"{repo_id} is not in your cache yet: run the pipeline cells above first"
    with tempfile.TemporaryDirectory() as tmp:
        own = _write_cache(tmp)
        # the checker's own caches come first, and each call must leave its cache as it was:
        # an answer that deletes (delete_revisions(...).execute()) is stopped there, before it
        # ever runs on the learner's own cache
        cases = [(rid, c, own) for rid, revs in Q4_REPOS for c in revs]
        cases += [(rid, c, cache_dir) for rid, c in yours]
        for rid, commit, where in cases:
            sizes = _sizes(rid, commit, where)
            assert sizes is not None  # written above, or listed above
            cache_text = "" if where is cache_dir else ", <a cache>"
            call = f"freed_mb({rid!r}, {commit[:7]!r}…{cache_text})"
            before = _files(own) if where is own else None
            got = _outcome(answer, rid, commit, where)
            if before is not None and _files(own) != before:
                return (
                    f"{call} deleted files from the cache it was given: the question is what "
                    "deleting WOULD free. Read delete_revisions(commit).expected_freed_size "
                    "and never call .execute() (that deletes for real)"
                )
            if isinstance(got, _Raised) or not _near_right(got, sizes):
                # in the checker's own cache, first rule out the wrong cache and the wrong repo
                why = _wrong_place(answer, got, rid, commit, call) if where is own else None
                if why:
                    return why
            if isinstance(got, _Raised):
                raise got.error  # the learner's own error, as the exercise reports any other
            problem = _judge_freed(got, call, sizes, where is cache_dir)
            if problem:
                return problem
    return None


@dataclass(frozen=True)
class _Raised:
    """What a call of the learner's function raised, kept so that it can be compared."""

    error: BaseException

    def same(self, other: Any) -> bool:
        return isinstance(other, _Raised) and type(other.error) is type(self.error)


def _outcome(answer: Callable[..., Any], *args: Any) -> Any:
    """answer(*args), or the error it raised (a KeyboardInterrupt still stops the check)."""
    try:
        return answer(*args)
    except Exception as e:  # noqa: BLE001 - the learner's code; the checker explains it
        return _Raised(e)


def _near_right(got: Any, sizes: dict) -> bool:
    value, problem = as_number(got, "")
    return not problem and abs(value - sizes["right"] / 1e6) <= Q4_TOLERANCE_MB


def _wrong_place(answer: Any, got: Any, rid: str, commit: str, call: str) -> str | None:
    """Why a wrong answer on the checker's cache went wrong, when the cause is where it looked:
    a function that never scans the cache it is given behaves the same with a folder that does
    not exist; one that reads another repo of the cache is right on a cache of this repo alone."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        missing = _outcome(answer, rid, commit, str(Path(tmp) / "no-cache-here"))
        alone = _outcome(
            answer, rid, commit, _write_cache(tmp, [r for r in Q4_REPOS if r[0] == rid])
        )
        right_alone = _sizes(rid, commit, tmp)
    if isinstance(got, _Raised):
        blind = got.same(missing)  # the same error with no cache there at all
    else:  # the same number (None, text and the like have messages of their own)
        (value, problem), (other, other_problem) = as_number(got, ""), as_number(missing, "")
        blind = not problem and not other_problem and value == other
    fix = (
        "read the cache your function is given: pass cache_dir on, scan_cache_dir(cache_dir) "
        "(None there means your own cache)"
    )
    if blind and isinstance(got, _Raised):
        return (
            f"{call} raised {type(got.error).__name__}: no repo {rid!r} in the cache your "
            "function scanned, yet it is in the cache it was given (with a folder that does "
            f"not exist it raised the same); {fix}"
        )
    if blind:
        return (
            f"{call} gave {short_repr(got, 40)}, and the same with a cache folder that does not "
            f"exist: your function never read the cache it was given, where {rid!r} is; {fix}"
        )
    if not isinstance(got, _Raised):
        for other_id, revisions in Q4_REPOS:
            if other_id == rid or commit not in revisions:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                other = _sizes(other_id, commit, _write_cache(tmp))
            if other is not None and _near_right(got, other):
                return (
                    f"{call} gave what deleting that commit frees in {other_id!r}, another repo "
                    "of this cache that holds the same commit (a renamed repo keeps its "
                    "commits, so the old and the new name can both be cached). A commit hash "
                    "alone does not name a revision: pick the repo whose repo_id == repo_id "
                    "first (delete_revisions(commit) takes the first repo that has the commit)"
                )
    if right_alone is not None and _near_right(alone, right_alone):
        return (
            f"{call} read another repo: the cache holds several, and on a cache that holds "
            f"{rid!r} alone your function is right. Pick the repo whose repo_id == repo_id, "
            "then the revision whose commit_hash == commit in it"
        )
    return None


def _files(root: str) -> list[tuple[str, int]]:
    """Every file and link under root with its size: what a read-only answer leaves alone."""
    from pathlib import Path

    return sorted((str(p.relative_to(root)), p.lstat().st_size) for p in Path(root).rglob("*"))


def _rounded_to(value: float, exact: float) -> str | None:
    """'1 decimal', '2 decimals', ... or 'a whole number' when value is exact rounded (or cut)
    to that, else None."""
    import math

    for digits in range(6):
        words = "a whole number" if digits == 0 else f"{digits} decimal{'s' * (digits > 1)}"
        scale = 10**digits
        cut = (round(exact * scale), math.floor(exact * scale), math.ceil(exact * scale))
        if any(abs(value - c / scale) < 1e-9 for c in cut):
            return words
    return None


def _judge_freed(got: Any, call: str, sizes: dict, own_cache: bool) -> str | None:
    """What is wrong with one answer of freed_mb, given the right and the usual wrong sizes."""
    if got is None:
        return (
            f"{call} returned None: find the revision in scan_cache_dir(cache_dir), the cache "
            "your function is given, and return a number"
        )
    if isinstance(got, str):
        return (
            f"{call} returned the text {got!r}: the _str sizes are for people; return the "
            "number of bytes / 1e6"
        )
    value, problem = as_number(got, f"what {call} returned")
    if problem:
        return problem

    def near(nbytes: float, unit: float = 1e6) -> bool:
        return abs(value - nbytes / unit) <= Q4_WRONG_SLACK_MB * 1e6 / unit

    right = sizes["right"]
    if abs(value - right / 1e6) <= Q4_TOLERANCE_MB:
        return None
    if decimals := _rounded_to(value, right / 1e6):
        return (
            f"{call} gave {value!r}: that is the right size, {right / 1e6!r} MB, rounded to "
            f"{decimals}. Return the number unrounded (the checker compares to the byte), and "
            'round only when you print it (f"{mb:.1f} MB")'
        )
    if near(right, 2**20):
        return f"{call} gave {value:g}: that is MiB (2**20 bytes); MB is 1e6 bytes"
    if abs(value - right) <= 1e-3 * right:
        return f"{call} gave {value:g}: that is bytes; divide by 1e6 for MB"
    if any(near(2 * sizes[k]) for k in ("right", "revision", "repo")):
        return (
            f"{call} gave {value:g}, twice a real size: each file is counted twice. snapshots/ "
            "holds links to the files in blobs/; count the blobs once (or use the sizes "
            "scan_cache_dir() reports)"
        )
    if sizes["per_file"] != right and near(sizes["per_file"]):
        return (
            f"{call} gave {value:g}: that counts one blob twice. Two files of this revision link "
            "to the same blob (the same bytes under two names), which is stored once and freed "
            "once: add up each blob_path once, for example in a dict {f.blob_path: "
            "f.size_on_disk}"
        )
    if near(sizes["by_name"]):
        return (
            f"{call} gave {value:g}: that treats a file as shared when another revision has a "
            "file of the same name, but the same name can hold other contents (a re-uploaded "
            "model.safetensors), stored in another blob. Match the files by f.blob_path, where "
            "their bytes are, not by f.file_name"
        )
    if near(sizes["revision"]):
        return (
            f"{call} gave {value:g}: that is the whole revision, but the files it shares with "
            "another revision stay on disk; count only the files no other revision uses"
        )
    if near(sizes["repo"]):
        return (
            f"{call} gave {value:g}: that is the whole repo; deleting one revision frees only "
            "the files no other revision uses"
        )
    if near(sizes["repo_minus"]):
        return (
            f"{call} gave {value:g}: that is the repo's size minus this revision's, which counts "
            "the blobs only the OTHER revisions use, not the ones this revision frees. Add up "
            "this revision's files whose blob_path no other revision of the repo links to"
        )
    if near(sizes["largest"]):
        return f"{call} gave {value:g}: that is its largest file; count every file it frees"
    where = "from your cache" if own_cache else "there"
    return (
        f"{call} gave {value:g} MB, but deleting it {where} frees {right / 1e6:g} MB: the "
        "blobs of this revision that no other revision of the repo links to"
    )


q4 = Exercise(
    name="part1.q4",
    prompt="Write freed_mb(repo_id, commit, cache_dir=None): how many MB (1 MB = 1,000,000 "
    "bytes) deleting that one revision of that repo would free in the Hugging Face cache at "
    "cache_dir (None: your own cache), as a number, unrounded (compared to the byte). Files "
    "another revision still uses are not freed.",
    checker=_check_freed,
    usage="part1.q4.check(freed_mb)",
    hint_text="A revision's files are links to blobs, and deleting the revision removes only "
    "the blobs that no other revision of the repo links to. Which blobs does no other revision "
    "link to? In scan_cache_dir(cache_dir), each revision's files have a blob_path and a "
    "size_on_disk.",
    more_hints=(
        "Find the repo whose repo_id matches and, in it, the revision whose commit_hash is "
        "commit. Put the blob_path of every file of the repo's OTHER revisions in a set; add up "
        "size_on_disk of this revision's blobs that are not in it, each blob_path once (two "
        "files of one revision can link to the same blob). "
        "To compare: scan_cache_dir(cache_dir).delete_revisions(commit).expected_freed_size "
        "plans the deletion in bytes without doing it (never call its .execute(), which "
        "deletes). It looks the commit up by hash alone, in the first repo that has it, which "
        "can be another repo (a renamed repo cached under both names): the worked solution "
        "keeps only the repo you ask about in the scan first.",
    ),
    solution_text="import dataclasses\n\n"
    "from huggingface_hub import scan_cache_dir\n\n"
    "def freed_mb(repo_id, commit, cache_dir=None):\n"
    "    repo = next(r for r in scan_cache_dir(cache_dir).repos if r.repo_id == repo_id)\n"
    "    mine = next(r for r in repo.revisions if r.commit_hash == commit)\n"
    "    # blobs that the repo's other revisions still link to stay on disk\n"
    "    kept = {f.blob_path for r in repo.revisions if r is not mine for f in r.files}\n"
    "    # each blob once: two files of a revision can link to the same blob\n"
    "    freed = {f.blob_path: f.size_on_disk for f in mine.files if f.blob_path not in kept}\n"
    "    return sum(freed.values()) / 1e6\n\n"
    "def dry_run_mb(repo_id, commit, cache_dir=None):\n"
    "    # huggingface_hub's own dry run: delete_revisions(commit) plans the deletion and\n"
    "    # deletes nothing unless you call .execute() on the plan. It looks the commit up by\n"
    "    # hash alone, in the first repo that has it (a renamed repo cached under both names\n"
    "    # holds the same commits), so keep only this repo in the scan first\n"
    "    cache = scan_cache_dir(cache_dir)\n"
    "    this_repo = frozenset(r for r in cache.repos if r.repo_id == repo_id)\n"
    "    plan = dataclasses.replace(cache, repos=this_repo).delete_revisions(commit)\n"
    "    return plan.expected_freed_size / 1e6\n\n"
    "for revision in sorted(demo_repo.revisions, key=lambda r: r.commit_hash):  # the demo\n"
    "    mb = freed_mb(demo_repo.repo_id, revision.commit_hash, demo_cache)\n"
    "    hubs = dry_run_mb(demo_repo.repo_id, revision.commit_hash, demo_cache)\n"
    '    print(revision.commit_hash[:7], f"{mb:.3f} MB; huggingface_hub\'s dry run: "\n'
    '          f"{hubs:.3f} MB")\n'
    "repo = next(r for r in scan_cache_dir().repos if r.repo_id == MODEL_ID)\n"
    "for revision in repo.revisions:  # yours: one revision, so all of it\n"
    '    print(revision.commit_hash[:7], f"{freed_mb(MODEL_ID, revision.commit_hash):.1f} MB")\n'
    "part1.q4.check(freed_mb)\n"
    "# in a terminal, hf cache rm <full commit hash> --dry-run previews a deletion too",
)

# ----- q3: timing fairly ---------------------------------------------------------------------


# Two scripts, so that only "one warm-up, then the fastest of the timed runs" gives the right
# number for both; the clock log then tells a warm-up from a timed cold call. In the first
# the fastest call is the 4th: without a warm-up, the fastest of the first
# three calls is 0.08 s. In the second the 4th call is slower than the 3rd: the last timed run
# is 0.08 s. The median of the timed runs is 0.08 s in both; their mean is 0.12 s.
Q3_SCRIPTS = ((0.40, 0.25, 0.08, 0.03, 0.09), (0.40, 0.25, 0.03, 0.08, 0.08))
Q3_BEST = 0.03
# Run only when the cold call was timed: here the cold call is the fastest, so min() over every
# timed call gives 0.01, while timing it and then dropping it (min(runs[1:])) still gives 0.03.
Q3_COLD_FASTEST = (0.01, 0.25, 0.08, 0.03, 0.09)
Q3_OTHER = 0.08
SLACK = 1e-4  # the stand-ins run on a virtual clock (clock.py): only float rounding is left


def _near(value: float, target: float) -> bool:
    return abs(value - target) <= SLACK


@contextmanager
def _watching_time_call() -> Iterator[list[bool]]:
    """Records whether the answer called cu.time_call (q3 asks for it written by hand)."""
    import course_utils

    used: list[bool] = []
    real = course_utils.time_call  # the package's attribute: what `cu.time_call` reads

    def spy(*args: Any, **kwargs: Any) -> Any:
        used.append(True)
        return real(*args, **kwargs)

    course_utils.time_call = spy  # type: ignore[attr-defined]
    try:
        yield used
    finally:
        course_utils.time_call = real  # type: ignore[attr-defined]


@contextmanager
def _timeit_reads(real: Any) -> Iterator[None]:
    """timeit.timeit, timeit.repeat and timeit.Timer bound timeit.default_timer as a default
    argument when timeit was imported: point those defaults at the simulated clock that
    clock.watching() put in timeit.default_timer, so an answer built on timeit is timed too."""
    import timeit

    simulated = timeit.default_timer
    functions = (timeit.timeit, timeit.repeat, timeit.Timer.__init__)
    saved = [f.__defaults__ for f in functions]
    try:
        if simulated is not real:
            for f, defaults in zip(functions, saved, strict=True):
                f.__defaults__ = tuple(simulated if d is real else d for d in defaults or ())
        yield
    finally:
        for f, defaults in zip(functions, saved, strict=True):
            f.__defaults__ = defaults


def _time_with(answer: Any, durations: tuple[float, ...]) -> tuple[Any, Any, bool]:
    """answer(fn) for a stand-in fn of these durations, on the simulated clock: what it
    returned, the stand-in (its calls and clock log), and whether it called cu.time_call."""
    import timeit

    real_timer = timeit.default_timer
    fn = clock.Scripted(durations)
    with clock.watching(fn.log, answer), _timeit_reads(real_timer):
        with _watching_time_call() as shortcut:
            returned = answer(fn)
    return returned, fn, bool(shortcut)


@function("fair_time(fn)", "times a call it knows")
def _check_fair_time(answer: Any, *_: Any, **__: Any) -> str | None:
    values = []
    cold_timed = False
    for durations in Q3_SCRIPTS:
        returned, fn, shortcut = _time_with(answer, durations)
        if shortcut:
            return (
                "fair_time called cu.time_call, the course's shortcut for this very helper: "
                "write the warm-up and the timed runs yourself with time.perf_counter()"
            )
        value, problem = clock.seconds_returned(returned, "fair_time(fn)", fn.calls)
        if problem:
            return problem
        values.append(value)
        cold_timed = cold_timed or fn.log.cold_call_timed()
    first, second = values
    if _near(first, Q3_BEST) and _near(second, Q3_BEST):
        if cold_timed:
            # timing the warm-up only to print it or drop it is fine, as long as the number
            # returned leaves it out: here the cold call is the fastest, so min() over every
            # timed call gives another number
            value, problem = as_number(_time_with(answer, Q3_COLD_FASTEST)[0], "")
            if problem or not _near(value, Q3_BEST):
                return (
                    "the number is right here, but your function timed the first, cold call and "
                    "kept it among the runs it takes min() of: here that call was slow and min() "
                    "dropped it, but when the first call happens to be the fastest, min() "
                    "returns it. Leave the first call (the warm-up) out of the runs you compare"
                )
        return None
    warmup, *later = Q3_SCRIPTS[0]
    runs = later[:3]  # in both scripts the three timed runs add up to the same total
    if first > 10:
        return f"{first:g} looks like milliseconds: give seconds (time.perf_counter() counts those)"
    if abs(first - warmup) <= SLACK:
        return "that is the first call's time, which holds the one-off warm-up: leave it out"
    if abs(first - (warmup + sum(runs)) / 4) <= SLACK:
        return "that is an average that includes the warm-up call: leave the first call out"
    if _near(first, sum(runs) / 3):
        return (
            "that is the mean of the timed runs; keep the best (the fastest) run: the slower "
            "ones were disturbed by other work on the machine"
        )
    if abs(first - (warmup + sum(runs))) <= 2 * SLACK:
        return "that is the total time of all the calls; time each call on its own"
    if _near(first, Q3_OTHER) and _near(second, Q3_OTHER):
        return (
            "that is the middle one (the median) of the timed runs; to compare settings, keep "
            "the fastest (min). Python's timeit docs say why: the lowest time is a lower bound "
            "for how fast the machine can run the code, and the higher ones come from other "
            "processes interfering, not from the code"
        )
    if _near(first, Q3_OTHER) and _near(second, Q3_BEST):
        return (
            "your first timed call was the cold one: call fn() once untimed before the clock "
            "starts, then time three calls"
        )
    if _near(first, Q3_BEST) and _near(second, Q3_OTHER):
        return "that is the last timed run; keep the fastest of the three (min)"
    if 0 <= first < Q3_BEST / 2 and 0 <= second < Q3_BEST / 2:
        return (
            f"{first:g} s is far shorter than any call of fn took (each took at least "
            f"{Q3_BEST:g} s on the clock the checker simulates): your function read a clock "
            "that the checker cannot see. Read time.perf_counter() before and after each call"
        )
    return f"{first:g} s is not the fastest of the timed calls (the checker knows it)"


q3 = Exercise(
    name="part1.q3",
    prompt="Write fair_time(fn): a number of seconds you can trust for comparing settings, "
    "robust to a slow first call and to other work on the machine. It must leave the first "
    "call (the warm-up) out of the number, time at least three calls after it, and return the "
    "fastest of those, in seconds.",
    checker=_check_fair_time,
    hint_text="Call fn() once before you start the clock (the warm-up). Then, three times: "
    "start = time.perf_counter(), fn(), and append time.perf_counter() - start to a list; "
    "return min() of the list. Why the fastest and not the median: the warm-up cell's median "
    "describes a typical call, but to compare settings you want the run least disturbed by "
    "other work. A pipeline returns Python numbers, so the GPU has finished when the call "
    "returns (for raw tensors on a GPU, call torch.cuda.synchronize() before reading the "
    "clock).",
    more_hints=(
        "The checker calls your helper with stand-ins whose durations it knows, on a clock it "
        "simulates (time.perf_counter, time.time, time.monotonic and timeit all read it). You "
        "may time the warm-up to print it, as long as the number you return leaves it out.",
    ),
    solution_text="import time\n\n"
    "def fair_time(fn):\n"
    "    fn()  # warm-up: one-off costs, not counted\n"
    "    runs = []\n"
    "    for _ in range(3):\n"
    "        start = time.perf_counter()\n"
    "        fn()\n"
    "        runs.append(time.perf_counter() - start)\n"
    "    return min(runs)\n\n"
    "# (cu.time_call(fn).best does the same, once you have written it yourself) then:\n"
    "print(fair_time(lambda: cpu_classifier(texts, batch_size=1)))\n"
    "print(fair_time(lambda: cpu_classifier(texts, batch_size=32)))  # faster: fewer, bigger calls",
)

__all__ = ["q1", "q2", "q3", "q4", "two_revision_cache"]
