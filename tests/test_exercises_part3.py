"""Part 3 exercises: each checker accepts the right answer and rejects
wrong ones with a message that says what is off."""

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from course_utils.exercises import part3
from tests.verdicts import right, wrong

CONFIGS = Path(__file__).parent / "configs"


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


def test_q1_linear_params():
    right(part3.q1, 512 * 256 + 256)
    wrong(part3.q1, 512 * 256, says="bias")
    wrong(part3.q1, 1, says="too few")


@pytest.fixture(scope="module")
def llama_config():
    from transformers import AutoConfig

    # the published config.json of meta-llama/Llama-3.1-8B-Instruct
    return AutoConfig.for_model(
        **json.loads((CONFIGS / "meta-llama--Llama-3.1-8B-Instruct.json").read_text())
    )


def test_q2_llama_fp16_gb(llama_config):
    n = 8_030_261_248  # Llama-3.1-8B's published parameter count
    right(part3.q2, 16.06, llama_config)
    right(part3.q2, n * 2 / 1e9, n)  # a plain count works as context too
    wrong(part3.q2, n * 2 / 2**30, llama_config, says="GiB")
    wrong(part3.q2, n * 4 / 1e9, llama_config, says="float32")
    wrong(part3.q2, n * 2, llama_config, says="bytes")
    wrong(part3.q2, 16.06, says="pass the model's config")


def test_q2_small_module():
    model = TinyNet()
    right(part3.q2, 58 * 2 / 1e9, model)


def test_q3_safetensors_round_trip(tmp_path):
    from safetensors.torch import load_file, save_file

    model = TinyNet()
    save_file(model.state_dict(), tmp_path / "w.safetensors")
    fresh = TinyNet()
    fresh.load_state_dict(load_file(tmp_path / "w.safetensors"))
    right(part3.q3, fresh, model)
    wrong(part3.q3, TinyNet(), model, says="did the load step run")  # new weights, never loaded
    wrong(part3.q3, model, model, says="original model itself")
    shared = TinyNet()
    shared.hidden, shared.out = model.hidden, model.out  # the same layers, not a loaded copy
    wrong(part3.q3, shared, model, says="shares memory")
    wrong(part3.q3, nn.Linear(4, 8), model, says="parameter names")
    wrong(part3.q3, fresh, says="pass the original model")
