"""Part 3 exercises: each checker says 'not attempted', accepts the right answer and rejects
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


def test_q1_linear_params(capsys):
    assert part3.q1.check(512 * 256 + 256) is True
    assert "correct" in capsys.readouterr().out
    assert part3.q1.check(512 * 256) is False
    assert "bias" in capsys.readouterr().out
    assert part3.q1.check(1) is False
    assert "too few" in capsys.readouterr().out


@pytest.fixture(scope="module")
def llama_config():
    from transformers import AutoConfig

    # the published config.json of meta-llama/Llama-3.1-8B-Instruct
    return AutoConfig.for_model(**json.loads((CONFIGS / "meta-llama--Llama-3.1-8B-Instruct.json").read_text()))


def test_q2_llama_fp16_gb(capsys, llama_config):
    n = 8_030_261_248  # Llama-3.1-8B's published parameter count
    assert part3.q2.check(16.06, llama_config) is True
    assert "correct" in capsys.readouterr().out
    assert part3.q2.check(n * 2 / 1e9, n) is True  # a plain count works as context too
    capsys.readouterr()
    assert part3.q2.check(n * 2 / 2**30, llama_config) is False
    assert "GiB" in capsys.readouterr().out
    assert part3.q2.check(n * 4 / 1e9, llama_config) is False
    assert "float32" in capsys.readouterr().out
    assert part3.q2.check(n * 2, llama_config) is False
    assert "bytes" in capsys.readouterr().out
    assert part3.q2.check(16.06) is False
    assert "pass the model's config" in capsys.readouterr().out


def test_q2_small_module(capsys):
    model = TinyNet()
    assert part3.q2.check(58 * 2 / 1e9, model) is True
    capsys.readouterr()


def test_q3_safetensors_round_trip(capsys, tmp_path):
    from safetensors.torch import load_file, save_file

    model = TinyNet()
    save_file(model.state_dict(), tmp_path / "w.safetensors")
    fresh = TinyNet()
    fresh.load_state_dict(load_file(tmp_path / "w.safetensors"))
    assert part3.q3.check(fresh, model) is True
    assert "correct" in capsys.readouterr().out
    assert part3.q3.check(TinyNet(), model) is False  # new weights, never loaded
    assert "did the load step run" in capsys.readouterr().out
    assert part3.q3.check(model, model) is False
    assert "original model itself" in capsys.readouterr().out
    shared = TinyNet()
    shared.hidden, shared.out = model.hidden, model.out  # the same layers, not a loaded copy
    assert part3.q3.check(shared, model) is False
    assert "shares memory" in capsys.readouterr().out
    assert part3.q3.check(nn.Linear(4, 8), model) is False
    assert "parameter names" in capsys.readouterr().out
    assert part3.q3.check(fresh) is False
    assert "pass the original model" in capsys.readouterr().out
