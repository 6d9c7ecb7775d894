"""Part 5 exercise checkers: not attempted, right, wrong, and what the learner is told."""

import subprocess
import sys

import pytest
import torch

from course_utils.exercises import part5


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained("distilbert/distilbert-base-uncased-finetuned-sst-2-english")


def test_q1_states(capsys, tokenizer):
    n = len(tokenizer(part5.Q1_TEXT)["input_ids"])
    assert part5.q1.check(..., tokenizer) is False
    assert "not attempted" in capsys.readouterr().out
    assert part5.q1.check(n, tokenizer) is True
    assert "correct" in capsys.readouterr().out
    assert part5.q1.check(n - 2, tokenizer) is False
    assert "special tokens" in capsys.readouterr().out
    assert part5.q1.check(n + 1, tokenizer) is False
    assert "too many" in capsys.readouterr().out
    assert part5.q1.check(float(n), tokenizer) is False
    assert "whole number" in capsys.readouterr().out


def test_q2_states(capsys):
    right = torch.tensor(part5.Q2_LOGITS).softmax(-1)[1].item()
    assert part5.q2.check(...) is False
    assert "not attempted" in capsys.readouterr().out
    assert part5.q2.check(right) is True
    assert part5.q2.check(round(right, 3)) is True
    assert "correct" in capsys.readouterr().out
    assert part5.q2.check(1 - right) is False  # the NEGATIVE probability
    assert "too low" in capsys.readouterr().out
    assert part5.q2.check(2.0) is False  # the raw logit, not a probability
    assert "too high" in capsys.readouterr().out


def test_q3_states(capsys, tokenizer):
    batch = tokenizer(list(part5.Q3_BATCH), padding=True, return_tensors="pt")
    pads = int((batch["attention_mask"][0] == 0).sum())
    assert pads > 0  # the first sentence is the short one
    assert part5.q3.check(..., tokenizer) is False
    assert "not attempted" in capsys.readouterr().out
    assert part5.q3.check(pads, tokenizer) is True
    assert "correct" in capsys.readouterr().out
    assert part5.q3.check(pads + 1, tokenizer) is False
    assert "attention_mask" in capsys.readouterr().out


def test_module_import_is_cheap():
    code = "import sys; from course_utils.exercises import part5; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
