"""Part 1 exercises: the default model, a batch of reviews, and what the cache holds.

Each checker works out the expected value itself (from transformers' task table, from your
classifier, from your Hugging Face cache), so the checks hold on Colab with the real models too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import Exercise, as_list, as_number, short_repr

SENTIMENT_MODEL = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"


# ----- q1: which model did the task default to? ---------------------------------------------


def _default_model(task: str = "sentiment-analysis") -> str:
    """The repo id transformers picks when ``pipeline(task)`` is called with no model."""
    from transformers.pipelines import check_task

    _, targeted, _ = check_task(task)
    model = targeted["default"]["model"]
    # transformers stores ("repo id", "revision"), older releases {"pt": ("repo id", ...)}
    if isinstance(model, dict):
        model = model.get("pt") or next(iter(model.values()))
    return model[0] if isinstance(model, (tuple, list)) else str(model)


def _check_default(answer: Any, *_: Any, **__: Any) -> str | None:
    if not isinstance(answer, str):
        return f"give the repo id as a string (like 'org/name'), not a {type(answer).__name__}"
    if len(answer) > 300:
        return "that text is far longer than a repo id ('org/name')"
    expected = _default_model()
    given = answer.strip().split("@")[0]  # "id@revision" is fine too
    if given.lower() == expected.lower():
        return None
    if given.lower() == expected.split("/")[-1].lower():
        return "that is the model's name; the repo id starts with its organisation: 'org/name'"
    return (
        f"{short_repr(given)} is not the model transformers chose; look at the warning it printed"
    )


q1 = Exercise(
    name="part1.q1",
    prompt='Which model did pipeline("sentiment-analysis") choose when you named none? '
    "Give its repo id, e.g. 'org/name'.",
    checker=_check_default,
    hint_text="Scroll up to the warning printed by the first pipeline() call: "
    "'No model was supplied, defaulted to ...'. Or look at classifier.model.name_or_path.",
    solution_text='answer = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"\n'
    "# transformers keeps this default in its task table; a future release may change it,\n"
    "# which is why the course names the model explicitly.",
)


# ----- q2: one call, a batch of texts --------------------------------------------------------


def _check_batch_results(
    answer: Any,
    classifier: Callable[..., Any] | None = None,
    reviews: list[str] | None = None,
    **__: Any,
) -> str | None:
    if classifier is None or reviews is None:
        return "call it as part1.q2.check(answer, classifier, reviews)"
    answer, problem = as_list(answer, "your answer")
    if problem:
        return f"give the list the classifier returned (one dict per review): {problem}"
    if answer and all(isinstance(a, str) for a in answer):
        return (
            "that is a list of labels; give the whole list the call returned, one dict per "
            "review with its 'label' and 'score'"
        )
    if len(answer) == 1 and isinstance(answer[0], list):
        return "that list holds one list: pass the list of reviews itself, not [reviews]"
    if len(answer) != len(reviews):
        return f"there are {len(reviews)} reviews but your list has {len(answer)} results"
    if not all(isinstance(a, dict) and {"label", "score"} <= set(a) for a in answer):
        return "each item should be a result dict with a 'label' and a 'score'"
    expected = classifier(list(reviews))
    for i, (a, e) in enumerate(zip(answer, expected, strict=True)):
        if a["label"] != e["label"]:
            return f"the label of review {i} is not what the classifier says"
        score, problem = as_number(a["score"], f"the score of review {i}")
        if problem:
            return problem
        if abs(score - e["score"]) > 1e-4:
            return (
                f"the score of review {i} is not the classifier's ({score!r}): pass the result "
                "of the call as it is, not numbers typed in"
            )
    return None


q2 = Exercise(
    name="part1.q2",
    prompt="Classify all the texts in `reviews` with ONE call of the classifier and pass the "
    "list it returns.",
    checker=_check_batch_results,
    hint_text="A pipeline accepts a list of strings and returns a list of dicts, one per text; "
    "each dict has a 'label' and a 'score'. Pass that list as it is.",
    solution_text="answer = classifier(reviews)\n"
    "for review, result in zip(reviews, answer):\n"
    "    print(f\"{result['label']:8} {result['score']:.3f}  {review}\")",
)


# ----- q3: how big is the model in the cache? ------------------------------------------------


def _cached_size_bytes(repo_id: str, cache_dir: Any = None) -> int | None:
    from huggingface_hub import scan_cache_dir

    for repo in scan_cache_dir(cache_dir).repos:
        if repo.repo_id.lower() == repo_id.lower() and repo.repo_type == "model":
            return repo.size_on_disk
    return None


def _check_cache_size(
    answer: Any, *_: Any, cache_dir: Any = None, repo_id: str = SENTIMENT_MODEL, **__: Any
) -> str | None:
    value, problem = as_number(answer, "the number of megabytes")
    if problem:
        return problem
    size = _cached_size_bytes(repo_id, cache_dir)
    if size is None:
        return f"{repo_id} is not in this cache yet: run the pipeline cells above first"
    mb = size / 1e6
    # MB (10**6 bytes) is asked for: right to the second decimal (a 268 MB model to within 0.5%)
    if abs(value - mb) <= max(0.005 * mb, 0.006):
        return None
    if abs(value - size / 2**20) <= 0.005 * size / 2**20:
        return "that is in MiB (2**20 bytes); the question asks for MB: divide the bytes by 1e6"
    if abs(value - size) <= 0.005 * size:
        return "that is the size in bytes; divide by 1e6 to get megabytes"
    return f"{value!r} MB is {'too high' if value > mb else 'too low'}"


q3 = Exercise(
    name="part1.q3",
    prompt="How many megabytes (MB, 1 MB = 1,000,000 bytes) does the sentiment model take in "
    "your Hugging Face cache?",
    checker=_check_cache_size,
    hint_text="huggingface_hub.scan_cache_dir() lists every cached repo; each has a repo_id and "
    "a size_on_disk in bytes.",
    solution_text="from huggingface_hub import scan_cache_dir\n"
    "repo = next(r for r in scan_cache_dir().repos if r.repo_id == MODEL_ID)\n"
    "answer = repo.size_on_disk / 1e6",
)

__all__ = ["q1", "q2", "q3"]
