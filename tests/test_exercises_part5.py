"""Part 5 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

import subprocess
import sys

import pytest
import torch

from course_utils.exercises import part5


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    )


def test_q1_states(tokenizer):
    n = len(tokenizer(part5.Q1_TEXT)["input_ids"])
    ok, msg = part5.q1.verdict(n, tokenizer)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part5.q1.verdict(n - 2, tokenizer)
    assert ok is False, msg
    assert "special tokens" in msg
    ok, msg = part5.q1.verdict(n + 1, tokenizer)
    assert ok is False, msg
    assert "too many" in msg
    ok, msg = part5.q1.verdict(float(n), tokenizer)
    assert ok is False, msg
    assert "whole number" in msg


def test_q2_states():
    right = torch.tensor(part5.Q2_LOGITS).softmax(-1)[1].item()
    ok, msg = part5.q2.verdict(right)
    assert ok is True, msg
    ok, msg = part5.q2.verdict(round(right, 3))
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part5.q2.verdict(1 - right)  # the NEGATIVE probability
    assert ok is False, msg
    assert "too low" in msg
    ok, msg = part5.q2.verdict(2.0)  # the raw logit, not a probability
    assert ok is False, msg
    assert "too high" in msg


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


def test_module_import_is_cheap():
    code = "import sys; from course_utils.exercises import part5; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
