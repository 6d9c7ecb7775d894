"""Part 3 exercises: each checker accepts the right answer and rejects
wrong ones with a message that says what is off."""

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from course_utils.exercises import part3

CONFIGS = Path(__file__).parent / "configs"


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


def test_q1_linear_params():
    ok, msg = part3.q1.verdict(512 * 256 + 256)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part3.q1.verdict(512 * 256)
    assert ok is False, msg
    assert "bias" in msg
    ok, msg = part3.q1.verdict(1)
    assert ok is False, msg
    assert "too few" in msg


@pytest.fixture(scope="module")
def llama_config():
    from transformers import AutoConfig

    # the published config.json of meta-llama/Llama-3.1-8B-Instruct
    return AutoConfig.for_model(
        **json.loads((CONFIGS / "meta-llama--Llama-3.1-8B-Instruct.json").read_text())
    )


def test_q2_llama_fp16_gb(llama_config):
    n = 8_030_261_248  # Llama-3.1-8B's published parameter count
    ok, msg = part3.q2.verdict(16.06, llama_config)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part3.q2.verdict(n * 2 / 1e9, n)  # a plain count works as context too
    assert ok is True, msg
    ok, msg = part3.q2.verdict(n * 2 / 2**30, llama_config)
    assert ok is False, msg
    assert "GiB" in msg
    ok, msg = part3.q2.verdict(n * 4 / 1e9, llama_config)
    assert ok is False, msg
    assert "float32" in msg
    ok, msg = part3.q2.verdict(n * 2, llama_config)
    assert ok is False, msg
    assert "bytes" in msg
    ok, msg = part3.q2.verdict(16.06)
    assert ok is False, msg
    assert "pass the model's config" in msg


def test_q2_small_module():
    model = TinyNet()
    ok, msg = part3.q2.verdict(58 * 2 / 1e9, model)
    assert ok is True, msg


def test_q3_safetensors_round_trip(tmp_path):
    from safetensors.torch import load_file, save_file

    model = TinyNet()
    save_file(model.state_dict(), tmp_path / "w.safetensors")
    fresh = TinyNet()
    fresh.load_state_dict(load_file(tmp_path / "w.safetensors"))
    ok, msg = part3.q3.verdict(fresh, model)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part3.q3.verdict(TinyNet(), model)  # new weights, never loaded
    assert ok is False, msg
    assert "did the load step run" in msg
    ok, msg = part3.q3.verdict(model, model)
    assert ok is False, msg
    assert "original model itself" in msg
    shared = TinyNet()
    shared.hidden, shared.out = model.hidden, model.out  # the same layers, not a loaded copy
    ok, msg = part3.q3.verdict(shared, model)
    assert ok is False, msg
    assert "shares memory" in msg
    ok, msg = part3.q3.verdict(nn.Linear(4, 8), model)
    assert ok is False, msg
    assert "parameter names" in msg
    ok, msg = part3.q3.verdict(fresh)
    assert ok is False, msg
    assert "pass the original model" in msg
