"""Part 5 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

import subprocess
import sys

import pytest
import torch

from course_utils.exercises import part5
from tests.verdicts import wrong


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    )


def test_q1_states(tokenizer):
    tokens = tokenizer.tokenize(part5.Q1_TEXT)
    # measured with the bert-base-uncased vocabulary (the stand-in ships the real one):
    # huggingface, tokenizers and unbelievably are split, into 2 + 3 + 5 pieces
    assert sum(t.startswith("##") for t in tokens) == 7 and len(tokens) == 14, tokens
    ok, msg = part5.q1.verdict(3, tokenizer)
    assert ok is True and "correct" in msg, msg
    for answer, says in (
        (7, "## pieces"),
        (10, "pieces of the split words"),
        (14, "number of tokens"),
        (16, "number of tokens"),
        (6, "number of words"),
        (2, "tokenize"),
        (3.5, "whole number"),
    ):
        wrong(part5.q1, answer, tokenizer, says=says)


def test_q1_accepts_any_honest_form_of_the_count(tokenizer):
    """A whole float, the number as text and a 0-dim tensor count as the number (as in q2)."""
    for form in (3.0, "3", torch.tensor(3)):
        ok, msg = part5.q1.verdict(form, tokenizer)
        assert ok is True, (form, msg)


def test_q1_solution_is_right(tokenizer):
    scope = {"tokenizer": tokenizer}
    exec(part5.q1.solution_text, scope)
    ok, msg = part5.q1.verdict(scope["answer"], tokenizer)
    assert ok is True, msg


def test_q2_states():
    right = torch.tensor(part5.Q2_LOGITS).softmax(-1)[1].item()
    ok, msg = part5.q2.verdict(right)
    assert ok is True, msg
    ok, msg = part5.q2.verdict(round(right, 3))
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part5.q2.verdict("0.953")
    assert ok is True, msg
    ok, msg = part5.q2.verdict(1 - right)  # the NEGATIVE probability
    assert ok is False, msg
    assert "NEGATIVE's share" in msg
    ok, msg = part5.q2.verdict(round(torch.sigmoid(torch.tensor(2.0)).item(), 4))  # 0.8808
    assert ok is False, msg
    assert "sigmoid" in msg
    ok, msg = part5.q2.verdict(2.0)  # the raw logit, not a probability
    assert ok is False, msg
    assert "raw logit" in msg
    wrong(part5.q2, 0.9, says="too low")


def test_q3_states(tokenizer):
    batch = tokenizer(list(part5.Q3_BATCH), padding=True, return_tensors="pt")
    pads = int((batch["attention_mask"][0] == 0).sum())
    assert pads > 0  # the first sentence is the short one
    ok, msg = part5.q3.verdict(pads, tokenizer)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part5.q3.verdict(pads + 1, tokenizer)
    assert ok is False, msg
    assert "attention_mask" in msg
    ok, msg = part5.q3.verdict(0, tokenizer)  # the long sentence's row
    assert ok is False and "first row is the short one" in msg, msg
    ok, msg = part5.q3.verdict(batch["input_ids"].shape[1], tokenizer)  # the padded length
    assert ok is False and "padded length" in msg, msg
    ok, msg = part5.q3.verdict(int(batch["attention_mask"][0].sum()), tokenizer)  # the 1s
    assert ok is False and "real tokens" in msg, msg


def test_module_import_is_cheap():
    code = "import sys; from course_utils.exercises import part5; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- q4: token classification by hand, checked against the pipeline -----------------------


@pytest.fixture(scope="module")
def ner():
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(part5.Q4_MODEL)
    model = AutoModelForTokenClassification.from_pretrained(part5.Q4_MODEL).eval()
    return model, tok


def _logits(model, tok, text):
    inputs = tok(text, return_tensors="pt")
    with torch.inference_mode():
        return inputs, model(**inputs).logits


def _inner_tokens(model, tok, text):
    """The tokens between [CLS] and [SEP], and the model's logits for the whole input."""
    inputs, logits = _logits(model, tok, text)
    return tok.convert_ids_to_tokens(inputs["input_ids"][0])[1:-1], logits


def _right_tag(model, tok):
    def tag(text):
        inputs, logits = _logits(model, tok, text)
        tokens = tok.convert_ids_to_tokens(inputs["input_ids"][0])
        labels = [model.config.id2label[i] for i in logits[0].argmax(dim=-1).tolist()]
        return list(zip(tokens, labels, strict=True))[1:-1]

    return tag


def test_q4_accepts_the_by_hand_pipeline(ner):
    model, tok = ner
    ok, msg = part5.q4.verdict(_right_tag(model, tok), model, tok)
    assert ok is True, msg


def test_q4_accepts_other_honest_forms(ner):
    """Lists instead of tuples, softmax before argmax, a generator of pairs: all right."""
    model, tok = ner

    def tag(text):
        tokens, logits = _inner_tokens(model, tok, text)
        probs = logits.softmax(-1)[0, 1:-1]
        return (
            [t, model.config.id2label[int(p.argmax())]] for t, p in zip(tokens, probs, strict=True)
        )

    ok, msg = part5.q4.verdict(tag, model, tok)
    assert ok is True, msg


def test_q4_rejects_special_tokens(ner):
    model, tok = ner
    right = _right_tag(model, tok)

    def with_specials(text):
        inputs, logits = _logits(model, tok, text)
        tokens = tok.convert_ids_to_tokens(inputs["input_ids"][0])
        return [
            (t, model.config.id2label[i])
            for t, i in zip(tokens, logits[0].argmax(-1).tolist(), strict=True)
        ]

    assert len(with_specials("Hi.")) == len(right("Hi.")) + 2
    wrong(part5.q4, with_specials, model, tok, says="[CLS]")


def test_q4_rejects_label_ids(ner):
    model, tok = ner

    def ids(text):
        tokens, logits = _inner_tokens(model, tok, text)
        return list(zip(tokens, logits[0, 1:-1].argmax(-1).tolist(), strict=True))

    wrong(part5.q4, ids, model, tok, says="id2label")


def test_q4_rejects_argmax_over_the_wrong_dimension(ner):
    """argmax over the tokens (dim=1) instead of over the labels."""
    model, tok = ner

    def wrong_dim(text):
        tokens, logits = _inner_tokens(model, tok, text)
        per_label = logits[0].argmax(dim=0).tolist()  # one token index per label
        return [
            (t, model.config.id2label[per_label[k % len(per_label)] % model.config.num_labels])
            for k, t in enumerate(tokens)
        ]

    wrong(part5.q4, wrong_dim, model, tok, says="argmax")


def test_q4_rejects_dropping_the_o_tokens(ner):
    model, tok = ner
    right = _right_tag(model, tok)
    labels = {label for s in part5.Q4_SENTENCES for _, label in right(s)}
    assert "O" in labels  # the stand-in's labels include "O" on these sentences
    wrong(part5.q4, lambda text: [p for p in right(text) if p[1] != "O"], model, tok, says="'O'")


def test_q4_rejects_a_list_typed_for_one_sentence(ner):
    model, tok = ner
    typed = _right_tag(model, tok)(part5.Q4_SENTENCES[0])
    wrong(part5.q4, typed, model, tok, says="function")
    ok, msg = part5.q4.verdict(lambda text: typed, model, tok)  # same list whatever the text
    assert ok is False, msg


def test_q4_rejects_words_instead_of_tokens(ner):
    """One label per word (the first piece's) is what aggregation does, not what was asked."""
    model, tok = ner
    right = _right_tag(model, tok)

    def per_word(text):
        return [(t, label) for t, label in right(text) if not t.startswith("##")]

    assert any(t.startswith("##") for t, _ in right(part5.Q4_SENTENCES[1]))
    wrong(part5.q4, per_word, model, tok, says="tokens")


def test_q4_needs_model_and_tokenizer(ner):
    model, tok = ner
    wrong(part5.q4, _right_tag(model, tok), says="ner_model")
    wrong(part5.q4, _right_tag(model, tok), model, says="tokenizer")


def test_q4_rejects_a_tag_that_wraps_the_pipeline(ner):
    """The reviewer's answer: the pipeline built outside tag() and called inside it."""
    from transformers import pipeline

    model, tok = ner
    pipe = pipeline("token-classification", model=model, tokenizer=tok, ignore_labels=[])

    def tag(text):
        return [(r["word"], r["entity"]) for r in pipe(text)]

    wrong(part5.q4, tag, model, tok, says="without one")
    assert pipe(part5.Q4_SENTENCES[0])  # the pipeline works again after the check


def test_q4_rejects_a_pipeline_built_inside_tag_even_when_caught(ner):
    from transformers import pipeline

    model, tok = ner
    right = _right_tag(model, tok)

    def tag(text):
        try:
            pipe = pipeline("token-classification", model=model, tokenizer=tok)
            return [(r["word"], r["entity"]) for r in pipe(text)]
        except Exception:
            return right(text)

    wrong(part5.q4, tag, model, tok, says="without one")
    ok, msg = part5.q4.verdict(right, model, tok)  # and the honest answer still passes after
    assert ok is True, msg


def test_q4_names_the_dimension_when_argmax_ran_over_the_tokens(ner):
    """The classic slip: argmax over the tokens (dim 0 of one sentence's logits) gives token
    positions, and id2label has no label for a position past the last label: the checker says
    which dimension, not just "KeyError"."""
    model, tok = ner

    def over_tokens(text):
        inputs, logits = _logits(model, tok, text)
        tokens = tok.convert_ids_to_tokens(inputs["input_ids"][0])[1:-1]
        labels = [model.config.id2label[i] for i in logits[0].argmax(0).tolist()]
        return list(zip(tokens, labels, strict=False))

    # the precondition, measured: some position the slip picks is past the last label
    positions = [_logits(model, tok, s)[1][0].argmax(0).max().item() for s in part5.Q4_SENTENCES]
    assert max(positions) >= model.config.num_labels, positions
    ok, msg = part5.q4.verdict(over_tokens, model, tok)
    assert ok is False and "not the labels" in msg and "last dimension" in msg, msg


def test_q4_other_key_errors_are_not_blamed_on_the_dimension(ner):
    model, tok = ner

    def bad_key(text):
        return [("x", model.config.id2label["B-PER"])]

    ok, msg = part5.q4.verdict(bad_key, model, tok)
    assert ok is False and "KeyError" in msg and "not the labels" not in msg, msg
