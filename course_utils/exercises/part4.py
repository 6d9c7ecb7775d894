"""Part 4 (Pipelines) exercises: choosing a task from the Hub, people found in a text for an
API, and mean pooling over a padded batch.

Each checker works its expected answer out from the models themselves (their Hub tags, their
pipelines), so the same check works with the real models on Colab and the offline stand-ins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from . import Exercise, as_list, function, short_repr

# ----- q1: the right pipeline for a model id, from its Hub tag ------------------------------

# the checker builds a pipeline for each with your function: the models of this part, and one
# the part never uses (a text generator), so a table copied from the notebook is not enough
Q1_MODELS = (
    "distilbert/distilbert-base-uncased",
    "sentence-transformers/all-MiniLM-L6-v2",
    "dslim/bert-base-NER",
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    "facebook/bart-large-mnli",
    "HuggingFaceTB/SmolLM2-135M-Instruct",
)
# what an unreachable Hub raises (huggingface_hub, httpx, requests, Python), by class name
_NO_HUB_ERRORS = frozenset(
    {
        "OfflineModeIsEnabled",
        "LocalEntryNotFoundError",
        "ConnectionError",
        "ConnectError",
        "ConnectTimeout",
        "TimeoutException",
        "Timeout",
        "TimeoutError",
    }
)


class _NoHub(Exception):
    """The learner's function could not reach the Hub: nothing to judge, right or wrong."""


def _hub_unreachable(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if any(k.__name__ in _NO_HUB_ERRORS for k in type(cur).__mro__):
            return True
        # pipeline(model=id) without a task asks the Hub for the tag; offline it says so
        if isinstance(cur, RuntimeError) and "offline mode" in str(cur):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


class HubExercise(Exercise):
    """An exercise whose answer asks the Hub: without it, say so instead of marking it wrong."""

    def _problem(self, answer: Any, context: tuple, kw: dict) -> str | None:
        self._no_hub = None
        try:
            return super()._problem(answer, context, kw)
        except _NoHub as exc:
            self._no_hub = str(exc)
            return self._no_hub

    def verdict(self, answer: Any, *context: Any, **kw: Any) -> tuple[bool, str]:
        ok, message = super().verdict(answer, *context, **kw)
        if getattr(self, "_no_hub", None):
            return False, (
                f"⏳ {self.name}: cannot check without the Hub: {self._no_hub}. Run this cell "
                "where the Hub is reachable (on Colab it is)"
            )
        return ok, message


@contextmanager
def _hub_misses() -> Iterator[list[str]]:
    """While it lasts, records the Hub look-ups that failed for want of the Hub (the tag
    pipeline(model=id) reads, HfApi().model_info), even when the learner's function catches
    them and falls back: its answer then says nothing about what it does online."""
    import huggingface_hub
    import transformers.pipelines as pipelines

    seen: list[str] = []

    def recording(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if _hub_unreachable(exc):
                    seen.append(type(exc).__name__)
                raise

        return wrapper

    get_task, model_info = pipelines.get_task, huggingface_hub.HfApi.model_info
    pipelines.get_task = recording(get_task)
    huggingface_hub.HfApi.model_info = recording(model_info)
    try:
        yield seen
    finally:
        pipelines.get_task, huggingface_hub.HfApi.model_info = get_task, model_info


# a Hub tag with no pipeline of that name, and the pipeline that does its work
HUB_TAG_TO_TASK = {"sentence-similarity": "feature-extraction"}


def _hub_tag(model_id: str) -> str | None:
    """The model's ``pipeline_tag`` (the Hub's answer online, its cached card offline)."""
    from ..cards import card_summary

    return card_summary(model_id).task


def _task_name(task: str) -> str:
    """A pipeline's task with aliases resolved (``sentiment-analysis`` is text-classification)."""
    from transformers.pipelines import TASK_ALIASES

    return TASK_ALIASES.get(task, task)


def _judge_pipeline(pipe: Any, model_id: str, tag: str | None) -> str | None:
    """None when ``pipe`` is the right pipeline for ``model_id``, else what is off."""
    import torch
    from transformers import Pipeline

    want = HUB_TAG_TO_TASK.get(tag or "", tag)
    if isinstance(pipe, str):
        return f"pipeline_for({model_id!r}) returned the text {pipe!r}: return the pipeline"
    if not isinstance(pipe, Pipeline):
        return f"pipeline_for({model_id!r}) should return a pipeline, not {type(pipe).__name__}"
    loaded = str(getattr(pipe.model, "name_or_path", ""))
    if loaded.lower() != model_id.lower():
        return (
            f"pipeline_for({model_id!r}) built a pipeline with {loaded!r}: pass "
            "model=model_id, or you get the task's default model"
        )
    if _task_name(pipe.task) != want:
        return (
            f"pipeline_for({model_id!r}) built a {pipe.task!r} pipeline, but the model's Hub "
            f"tag is {tag!r}: read the tag rather than choosing one task for every model"
        )
    if torch.cuda.is_available() and pipe.device.type != "cuda":
        return (
            f"pipeline_for({model_id!r}) built its pipeline on {pipe.device}, and this "
            "runtime has a GPU: pass device=device"
        )
    return None


@function("pipeline_for(model_id)", "calls it on model ids of its own")
def _check_pipeline_for(answer: Any, *_: Any, **__: Any) -> str | None:
    for model_id in Q1_MODELS:
        tag = _hub_tag(model_id)
        want = HUB_TAG_TO_TASK.get(tag or "", tag)
        with _hub_misses() as missed:
            try:
                pipe = answer(model_id)
            except Exception as exc:
                if _hub_unreachable(exc):
                    raise _NoHub(
                        f"pipeline_for({model_id!r}) could not reach the Hub ({type(exc).__name__})"
                    ) from exc
                if not isinstance(exc, KeyError):
                    raise
                if tag in HUB_TAG_TO_TASK:
                    return (
                        f"pipeline_for({model_id!r}) raised KeyError: its Hub tag {tag!r} has "
                        f"no pipeline of that name; use the {want!r} pipeline for it"
                    )
                return f"pipeline_for({model_id!r}) raised KeyError: {short_repr(str(exc), 120)}"
        problem = _judge_pipeline(pipe, model_id, tag)
        if problem and missed:  # it fell back after a failed look-up: online it may be right
            raise _NoHub(
                f"pipeline_for({model_id!r}) asked the Hub, could not reach it ({missed[0]}) "
                "and fell back"
            )
        if problem:
            return problem
    return None


q1 = HubExercise(
    name="part4.q1",
    prompt="Write pipeline_for(model_id): read the model's pipeline_tag from the Hub and return a "
    "pipeline of that task for it (a sentence-similarity model gets feature-extraction).",
    checker=_check_pipeline_for,
    usage="part4.q1.check(pipeline_for)",
    hint_text="HfApi().model_info(model_id).pipeline_tag is the tag the Hub's task filter uses. "
    "Most tags are pipeline names too; 'sentence-similarity' is not, and its models run in a "
    "'feature-extraction' pipeline. Pass model=model_id and device=device.",
    solution_text=(
        "from huggingface_hub import HfApi\n\n"
        "def pipeline_for(model_id):\n"
        "    tag = HfApi().model_info(model_id).pipeline_tag\n"
        '    task = "feature-extraction" if tag == "sentence-similarity" else tag\n'
        "    return pipeline(task, model=model_id, device=device)\n\n"
        "part4.q1.check(pipeline_for)"
    ),
)


# ----- q2: people for an API: whole words, filtered, exact spans, JSON-safe ------------------

NER_MODEL = "dslim/bert-base-NER"
# the checker's own sentence: names the tokenizer cuts into pieces, and a hyphenated one that
# the tokenizer rebuilds with spaces ('Jean - Luc'), so `word` is not the text
Q2_TEXT = "Satya Nadella met Jean-Luc Picard at Microsoft in Redmond."
WHOLE_WORD_STRATEGIES = ("first", "average", "max")
Q2_KEYS = ("name", "start", "end", "score")


@contextmanager
def _pieces_disagree(text: str) -> Iterator[None]:
    """While it lasts, every token-classification pipeline run on `text` sees two constructed
    cases, the same with any weights: the pieces of the first word the tokenizer cuts up
    disagree (its first piece tagged B-PER, the others I-MISC with B-PER a close second), so
    "simple" splits that word and every whole-word strategy keeps it PER; and "Jean-Luc
    Picard", if the text holds it, is one PER entity (less sure), whose rebuilt `word` is
    'Jean - Luc Picard'."""
    from transformers import TokenClassificationPipeline

    original = TokenClassificationPipeline._forward

    def _forward(self: Any, model_inputs: dict) -> dict:
        sentence = model_inputs.get("sentence")
        out = original(self, model_inputs)
        label2id = self.model.config.label2id
        if sentence != text or not {"B-PER", "I-PER", "I-MISC"} <= set(label2id):
            return out
        tokens = self.tokenizer.convert_ids_to_tokens(out["input_ids"][0].tolist())
        first = next((i for i, t in enumerate(tokens) if t.startswith("##")), None)
        if first is None:
            return out
        last = first
        while last + 1 < len(tokens) and tokens[last + 1].startswith("##"):
            last += 1
        logits = out["logits"].clone()
        logits[0, first - 1 : last + 1] = 0.0
        logits[0, first - 1, label2id["B-PER"]] = 10.0
        logits[0, first : last + 1, label2id["I-MISC"]] = 6.0
        logits[0, first : last + 1, label2id["B-PER"]] = 5.9
        name = ["Jean", "-", "Luc", "Pic", "##ard"]
        at = next((i for i in range(len(tokens)) if tokens[i : i + len(name)] == name), None)
        if at is not None:
            logits[0, at : at + len(name)] = 0.0
            logits[0, at, label2id["B-PER"]] = 5.0
            logits[0, at + 1 : at + len(name), label2id["I-PER"]] = 5.0
        out["logits"] = logits.to(out["logits"].dtype)
        return out

    TokenClassificationPipeline._forward = _forward
    try:
        yield
    finally:
        TokenClassificationPipeline._forward = original


def _entity_pairs(ner: Any, text: str, strategy: str) -> list[tuple[str, str]]:
    return [
        (e["entity_group"], text[e["start"] : e["end"]])
        for e in ner(text, aggregation_strategy=strategy)
    ]


def _people(
    ner: Any,
    text: str,
    strategy: str,
    min_score: float,
    *,
    only_people: bool = True,
    by_score: bool = True,
    strict: bool = False,
    name: str = "span",
) -> list[tuple[str, int, int, float]]:
    """(name, start, end, score) of the entities a strategy finds; the keyword arguments
    build the known wrong ways (every type, every score, score > min_score, the rebuilt `word`)."""
    found = []
    for e in ner(text, aggregation_strategy=strategy):
        if only_people and e["entity_group"] != "PER":
            continue
        score = float(e["score"])
        if by_score and (score < min_score or (strict and score == min_score)):
            continue
        written = text[e["start"] : e["end"]] if name == "span" else e["word"]
        found.append((written, int(e["start"]), int(e["end"]), score))
    return found


def _read_people(got: Any) -> tuple[list | None, str | None]:
    items, problem = as_list(got, "what find_people(text, min_score) returned")
    if problem:
        return None, problem
    rows = []
    for item in items:
        if not isinstance(item, dict):
            return None, (
                f"each item should be a dict with the keys {Q2_KEYS}, got {short_repr(item)}"
            )
        missing = [k for k in Q2_KEYS if k not in item]
        if missing:
            return None, (
                f"each dict needs the keys {Q2_KEYS}; {short_repr(item, 100)} has no "
                f"{', '.join(repr(k) for k in missing)}"
            )
        rows.append((item["name"], item["start"], item["end"], item["score"]))
    return rows, None


def _same(got: list, want: list) -> bool:
    """Names and spans exactly; scores to within rounding to 2 decimals (a GPU differs a little)."""
    if len(got) != len(want):
        return False
    for (n, s, e, score), (wn, ws, we, wscore) in zip(got, want, strict=True):
        if (n, s, e) != (wn, ws, we):
            return False
        try:
            if abs(float(score) - wscore) > 0.006:
                return False
        except (TypeError, ValueError):
            return False
    return True


def _thresholds(ner: Any, text: str) -> list[float]:
    """0, a cut between two people's scores when there are two, and one above every score:
    the answer must keep all, some and none."""
    scores = sorted({round(p[3], 4) for p in _people(ner, text, "first", 0.0)})
    cuts = [0.0]
    gaps = [(b - a, (a + b) / 2) for a, b in zip(scores, scores[1:], strict=False)]
    if gaps:
        cuts.append(round(max(gaps)[1], 4))
    cuts.append(round(min(1.0, scores[-1] + 0.01), 4) if scores else 0.5)
    if scores and cuts[-1] <= scores[-1]:
        cuts[-1] = 1.01
    return cuts


def _boundaries(ner: Any, text: str) -> list[float]:
    """Each whole-word strategy's lowest person score, exactly: `>` instead of `>=` drops it."""
    lows = set()
    for strategy in WHOLE_WORD_STRATEGIES:
        scores = [p[3] for p in _people(ner, text, strategy, 0.0)]
        if scores:
            lows.add(min(scores))
    return sorted(lows)


def _q2_problem(answer: Any, ner: Any, txt: str, cut: float) -> str | None:
    """None when find_people(txt, cut) is right, else what is off."""
    import json

    where = f"find_people({short_repr(txt)}, min_score={cut:g})"
    raw = answer(txt, cut)
    try:
        json.dumps(raw)
    except (TypeError, ValueError) as exc:
        return (
            f"json.dumps refuses what {where} returned ({type(exc).__name__}: "
            f"{short_repr(str(exc), 80)}); an API must send plain Python types (Gotcha 4)"
        )
    got, problem = _read_people(raw)
    if problem:
        return problem
    if any(_same(got, _people(ner, txt, s, cut)) for s in WHOLE_WORD_STRATEGIES):
        return None
    first = _people(ner, txt, "first", cut)
    if _same(got, _people(ner, txt, "simple", cut)) and not _same(got, first):
        return (
            f"for {where}, where the checker makes the pieces of one word get different tags, "
            "that is what aggregation_strategy='simple' gives: it splits the word; choose a "
            "strategy that keeps words whole"
        )
    for s in WHOLE_WORD_STRATEGIES:
        if _same(got, _people(ner, txt, s, cut, name="word")):
            return (
                f"for {where} the names are the `word` fields, the tokenizer's rebuilt text; "
                "cut each name out of the text with its start and end"
            )
        if _same(got, _people(ner, txt, s, cut, only_people=False)):
            return f"{where} keeps entities of every type; the question asks for people only"
        if _same(got, _people(ner, txt, s, cut, by_score=False)):
            return f"{where} keeps people whose score is below min_score; leave those out"
        if _same(got, _people(ner, txt, s, cut, strict=True)):
            return (
                f"{where} leaves out a person whose score is exactly min_score; the question "
                "asks for a score of at least min_score (>=, not >)"
            )
    return (
        f"{where} gives {short_repr(got, 160)}, which no whole-word strategy gives "
        f"(with 'first': {short_repr(first, 160)})"
    )


@function("find_people(text, min_score)", "runs it on a sentence of its own")
def _check_entities(answer: Any, text: Any = None, *_: Any, **__: Any) -> str | None:
    from transformers import pipeline

    ner = pipeline("token-classification", model=NER_MODEL, device="cpu")
    texts = [Q2_TEXT] + ([text] if isinstance(text, str) and text != Q2_TEXT else [])
    for txt in texts:
        with _pieces_disagree(Q2_TEXT):
            for cut in _thresholds(ner, txt) + _boundaries(ner, txt):
                problem = _q2_problem(answer, ner, txt, cut)
                if problem:
                    return problem
    return None


q2 = Exercise(
    name="part4.q2",
    prompt="Write find_people(text, min_score): for an API, the people (PER) the NER model finds "
    "in `text` with a score of at least min_score, as dicts with the keys name, start, end and "
    "score: whole words, each name exactly as written in `text`, and json.dumps must accept "
    "the list.",
    checker=_check_entities,
    usage="part4.q2.check(find_people, text)",
    hint_text="Which aggregation strategy works word by word? Which fields of an entity index "
    "your string, and which one is rebuilt by the tokenizer? What does json.dumps say to a "
    "score straight from the pipeline?",
    solution_text=(
        'ner_words = pipeline("token-classification", model="dslim/bert-base-NER",\n'
        '                     aggregation_strategy="first", device=device)\n\n'
        "def find_people(text, min_score):\n"
        "    people = []\n"
        "    for e in ner_words(text):\n"
        "        score = float(e['score'])   # numpy.float32 -> a float json.dumps accepts\n"
        "        if e['entity_group'] == 'PER' and score >= min_score:\n"
        "            people.append({'name': text[e['start']:e['end']],   # as written\n"
        "                           'start': e['start'], 'end': e['end'], 'score': score})\n"
        "    return people\n\n"
        "part4.q2.check(find_people, text)\n"
        "print(json.dumps(find_people(text, 0.9)))"
    ),
)


# ----- q3: masked mean pooling ----------------------------------------------------------------

# run as one padded batch: the second is much longer, so the first gets many padding positions
Q3_SENTENCES = (
    "The cat sleeps on the sofa.",
    "A small grey kitten was napping quietly on the old couch all afternoon.",
)


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


def _pool(fn: Callable[..., Any], hidden: Any, mask: Any) -> tuple[Any, str | None]:
    import torch

    got = fn(hidden.clone(), mask.clone())
    if not isinstance(got, torch.Tensor):
        try:
            got = torch.as_tensor(got, dtype=hidden.dtype)
        except (TypeError, ValueError, RuntimeError):
            return None, f"mean_pool should return a tensor, not {type(got).__name__}"
    want = (hidden.shape[0], hidden.shape[2])
    if tuple(got.shape) != want:
        return None, (
            f"for hidden states of shape {tuple(hidden.shape)} mean_pool returned shape "
            f"{tuple(got.shape)}; one vector per sentence is {want}"
        )
    return got.to(hidden.dtype), None


@function("mean_pool(hidden, attention_mask)", "runs it on batches of its own")
def _check_mean_pool(answer: Any, extractor: Any = None, *_: Any, **__: Any) -> str | None:
    import torch

    # a batch the checker pads itself: 3 sentences of 3, 5 and 1 real tokens, with padding
    # vectors far from the real ones, so averaging them in shows
    gen = torch.Generator().manual_seed(4)
    hidden = torch.randn(3, 5, 8, generator=gen)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
    hidden[mask == 0] = 50.0
    m = mask[:, :, None].to(hidden.dtype)
    want = (hidden * m).sum(dim=1) / m.sum(dim=1)
    got, problem = _pool(answer, hidden, mask)
    if problem:
        return problem
    if not torch.allclose(got, want, atol=1e-4):
        if torch.allclose(got, hidden.mean(dim=1), atol=1e-4):
            return (
                "that is the plain mean over every position, padding included (Gotcha 5): "
                "weight each token by the attention mask"
            )
        if torch.allclose(got, (hidden * m).sum(dim=1), atol=1e-3):
            return "that is the sum of the real tokens: divide by each sentence's real count"
        if torch.allclose(got, (hidden * m).sum(dim=1) / hidden.shape[1], atol=1e-4):
            return (
                "the padding is masked out, but you divided by the padded length; divide by "
                "the number of real tokens, mask.sum(dim=1)"
            )
        unit = want / want.norm(dim=1, keepdim=True)
        if torch.allclose(got, unit, atol=1e-4):
            return "that is normalised: return the mean itself (normalise after pooling)"
        return "for a padded batch the checker built, that is not the mean of the real tokens"
    if extractor is None:
        return None
    # the same function on the pipeline's own padded batch gives the unpadded similarity
    pair = list(Q3_SENTENCES)
    batch = extractor(pair, batch_size=2, return_tensors=True)
    real = torch.cat(batch)
    amask = extractor.tokenizer(pair, padding=True, return_tensors="pt")["attention_mask"]
    amask = amask[:, : real.shape[1]]
    pooled, problem = _pool(answer, real, amask)
    if problem:
        return problem
    pooled = pooled / pooled.norm(dim=1, keepdim=True)
    expected = sentence_similarity(extractor, *pair)
    if abs(float(pooled[0] @ pooled[1]) - expected) > 1e-3:
        return (
            "on the extractor's padded batch your pooling does not give the similarity of the "
            "sentences run alone"
        )
    return None


q3 = Exercise(
    name="part4.q3",
    prompt="Write mean_pool(hidden, attention_mask): from a padded batch's hidden states "
    "(batch, tokens, hidden) and its attention mask (batch, tokens), return each sentence's "
    "mean over its real tokens only, shape (batch, hidden).",
    checker=_check_mean_pool,
    usage="part4.q3.check(mean_pool, extractor)",
    hint_text="attention_mask has 1 for each real token and 0 for each padding position. "
    "Multiply the token vectors by it (mask[:, :, None]), sum over the token axis (dim=1), and "
    "divide by the number of real tokens (mask.sum(dim=1, keepdim=True)).",
    solution_text=(
        "def mean_pool(hidden, attention_mask):\n"
        "    mask = attention_mask[:, :, None].to(hidden.dtype)   # (batch, tokens, 1)\n"
        "    return (hidden * mask).sum(dim=1) / mask.sum(dim=1)\n\n"
        "part4.q3.check(mean_pool, extractor)\n\n"
        "# then: one padded batch, pooled, normalised, compared\n"
        "pair = [" + ", ".join(repr(s) for s in Q3_SENTENCES) + "]\n"
        "hidden = torch.cat(extractor(pair, batch_size=2, return_tensors=True))\n"
        "mask = extractor.tokenizer(pair, padding=True, return_tensors='pt')['attention_mask']\n"
        "pooled = mean_pool(hidden, mask[:, : hidden.shape[1]])\n"
        "pooled = pooled / pooled.norm(dim=1, keepdim=True)\n"
        "print(f'cosine similarity: {float(pooled[0] @ pooled[1]):.2f}')"
    ),
)

__all__ = [
    "q1",
    "q2",
    "q3",
    "sentence_similarity",
    "padded_mean_similarity",
    "HUB_TAG_TO_TASK",
    "Q1_MODELS",
    "Q2_TEXT",
    "Q3_SENTENCES",
]
