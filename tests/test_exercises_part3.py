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


def test_q2_llama_embedding_and_head_gb(llama_config):
    n = 2 * 128_256 * 4_096  # embed_tokens and lm_head: two (vocab, hidden) matrices, untied
    right(part3.q2, n * 2 / 1e9, llama_config)  # 2.101 GB
    right(part3.q2, 2.1, llama_config)  # rounded as a learner would
    wrong(part3.q2, n / 1e9, llama_config, says="one of the two matrices")  # forgot lm_head
    wrong(part3.q2, n * 2 / 2**30, llama_config, says="GiB")
    wrong(part3.q2, n * 4 / 1e9, llama_config, says="float32")
    wrong(part3.q2, n * 2, llama_config, says="bytes")
    wrong(part3.q2, 16.06, llama_config, says="whole model")  # the old question's answer
    wrong(part3.q2, 2.0, llama_config, says="too low")
    wrong(part3.q2, 2.1, says="pass the model's config")


def test_q2_counts_a_tied_head_once():
    from transformers import LlamaConfig

    cfg = LlamaConfig(
        hidden_size=64, intermediate_size=128, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=1, vocab_size=1000, tie_word_embeddings=True,
    )  # fmt: skip
    right(part3.q2, 1000 * 64 * 2 / 1e9, cfg)
    wrong(part3.q2, 2 * 1000 * 64 * 2 / 1e9, cfg, says="one tensor with two names")


def _round_trip(tmp_path):
    from safetensors.torch import load_file, save_file

    model = TinyNet()
    path = tmp_path / "w.safetensors"
    save_file(model.state_dict(), path)
    fresh = TinyNet()
    fresh.load_state_dict(load_file(path))
    return model, fresh, path


def test_q3_safetensors_round_trip(tmp_path):
    model, fresh, path = _round_trip(tmp_path)
    right(part3.q3, fresh, model, path)
    right(part3.q3, fresh, model, str(path))  # a str path is fine
    wrong(part3.q3, TinyNet(), model, path, says="did the load step run")  # never loaded
    wrong(part3.q3, model, model, path, says="original model itself")
    shared = TinyNet()
    shared.hidden, shared.out = model.hidden, model.out  # the same layers, not a loaded copy
    wrong(part3.q3, shared, model, path, says="shares memory")
    wrong(part3.q3, nn.Linear(4, 8), model, path, says="parameter names")
    wrong(part3.q3, fresh, path=path, says="pass the original model")


def test_q3_a_copy_without_a_file_is_refused(tmp_path):
    """Review: copy.deepcopy(model) and load_state_dict(model.state_dict()) passed with no file."""
    import copy

    model = TinyNet()
    wrong(part3.q3, copy.deepcopy(model), model, says="pass the file you saved")
    fresh = TinyNet()
    fresh.load_state_dict(model.state_dict())
    wrong(part3.q3, fresh, model, tmp_path / "never-written.safetensors", says="no file")
    other = TinyNet()  # a file of another model's weights
    from safetensors.torch import save_file

    save_file(other.state_dict(), tmp_path / "other.safetensors")
    wrong(part3.q3, fresh, model, tmp_path / "other.safetensors", says="not the original's")


def test_q3_a_pickle_file_is_not_safetensors(tmp_path):
    model, fresh, _ = _round_trip(tmp_path)
    torch.save(model.state_dict(), tmp_path / "w.pt")
    wrong(part3.q3, fresh, model, tmp_path / "w.pt", says="not a safetensors file")
    wrong(part3.q3, fresh, model, 42, says="path")


def test_q1_accepts_a_whole_float():
    right(part3.q1, float(512 * 256 + 256))
