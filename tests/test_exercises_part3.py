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


def predict(model, inputs):
    param = next(model.parameters())
    model.eval()
    with torch.inference_mode():
        return model(inputs.to(param.device, param.dtype))


def test_q1_predict_right_forms():
    right(part3.q1, predict)

    def with_no_grad(model, inputs):
        p = next(model.parameters())
        model.eval()
        with torch.no_grad():
            return model(inputs.to(device=p.device, dtype=p.dtype))

    right(part3.q1, with_no_grad)


def test_q1_refuses_the_ways_a_run_goes_wrong():
    # review: q1 was recall (the sum from cell 17); the skill is eval, inference_mode, and
    # moving inputs to the model's device and dtype
    def no_move(model, inputs):
        model.eval()
        with torch.inference_mode():
            return model(inputs)

    wrong(part3.q1, no_move, says="move the inputs")

    def typed_dtype(model, inputs):
        model.eval()
        with torch.inference_mode():
            return model(inputs.to(torch.bfloat16))

    wrong(part3.q1, typed_dtype, says="RuntimeError")  # right for bf16, wrong for float64

    def no_eval(model, inputs):  # review: no_grad without eval() must not pass
        p = next(model.parameters())
        with torch.no_grad():
            return model(inputs.to(p.device, p.dtype))

    wrong(part3.q1, no_eval, says="dropout is still active")

    def records(model, inputs):
        p = next(model.parameters())
        model.eval()
        return model(inputs.to(p.device, p.dtype))

    wrong(part3.q1, records, says="grad_fn")

    def back_to_float32(model, inputs):
        return predict(model, inputs).float()

    wrong(part3.q1, back_to_float32, says="not typed in")
    wrong(part3.q1, lambda m, x: predict(m, x).tolist(), says="output tensor")

    def detached(m, x):  # review 2: records the forward pass, then hides it with .detach()
        p = next(m.parameters())
        m.eval()
        return m(x.to(p.device, p.dtype)).detach()

    wrong(part3.q1, detached, says="detaching the output afterwards")

    def detached_data(m, x):  # the same record, hidden with .data
        p = next(m.parameters())
        m.eval()
        return m(x.to(p.device, p.dtype)).data

    wrong(part3.q1, detached_data, says="was recording")
    wrong(part3.q1, lambda m, x: predict(m, x) * 2, says="not the model's output")
    wrong(part3.q1, 131_328, says="function itself")


def test_q1_refuses_inputs_moved_to_the_dtype_only():
    """Review 3: on a CPU runtime inputs.to(dtype), without the device, passed. Now the check
    puts a model on the meta device when there is no GPU, so the missing device shows."""

    def dtype_only(model, inputs):
        model.eval()
        with torch.inference_mode():
            return model(inputs.to(next(model.parameters()).dtype))

    def typed_cpu(model, inputs):
        p = next(model.parameters())
        model.eval()
        with torch.inference_mode():
            return model(inputs.to("cpu", p.dtype))

    for answer in (dtype_only, typed_cpu):
        msg = wrong(part3.q1, answer, says="move the inputs to the model's device")
        assert ("meta" in msg) == (not torch.cuda.is_available()), msg


@pytest.fixture(scope="module")
def llama_config():
    from transformers import AutoConfig

    # the published config.json of meta-llama/Llama-3.1-8B-Instruct
    return AutoConfig.for_model(
        **json.loads((CONFIGS / "meta-llama--Llama-3.1-8B-Instruct.json").read_text())
    )


def test_q2_llama_attention_gb(llama_config):
    # per layer: q_proj, o_proj 4096 x 4096; k_proj, v_proj 1024 x 4096 (8 KV heads of 128)
    n = 32 * (2 * 4096 * 4096 + 2 * 1024 * 4096)
    right(part3.q2, n * 2 / 1e9, llama_config)  # 2.684 GB
    right(part3.q2, 2.68, llama_config)  # rounded as a learner would
    right(part3.q2, 2.69, llama_config)  # within 0.01 GB either side: symmetric
    right(part3.q2, 2.675, llama_config)
    wrong(part3.q2, 2.7, llama_config, says="two decimals")  # review: rejected as "too high"
    wrong(part3.q2, 2.67, llama_config, says="too low")
    right(part3.q2, torch.tensor(n * 2 / 1e9), llama_config)  # a 0-dim tensor is a number
    # review: the config table alone gave the answer; now the shapes come from the meta model,
    # and the table's reader who assumes K and V as large as Q is told why not
    wrong(part3.q2, 32 * 4 * 4096 * 4096 * 2 / 1e9, llama_config, says="grouped-query")
    wrong(part3.q2, n / 32 * 2 / 1e9, llama_config, says="one decoder layer")
    wrong(part3.q2, n * 2 / 2**30, llama_config, says="GiB")
    wrong(part3.q2, n * 4 / 1e9, llama_config, says="float32")
    wrong(part3.q2, n * 2, llama_config, says="bytes")
    wrong(part3.q2, 32 * 3 * 4096 * 14336 * 2 / 1e9, llama_config, says="MLPs")
    wrong(part3.q2, 16.06, llama_config, says="whole model")
    wrong(part3.q2, 2.101, llama_config, says="too low")  # the old question's answer
    wrong(part3.q2, "2.68", llama_config, says="not the text")  # review: '2.1' was accepted
    wrong(part3.q2, 2.68, says="pass the model's config")


def test_q2_reads_the_shapes_of_another_config():
    """A config without grouped-query attention: the expected value follows the model."""
    from transformers import LlamaConfig

    cfg = LlamaConfig(
        hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
        num_key_value_heads=4, vocab_size=1000,
    )  # fmt: skip
    right(part3.q2, 3 * 4 * 64 * 64 * 2 / 1e9, cfg)
    wrong(part3.q2, 4 * 64 * 64 * 2 / 1e9, cfg, says="one decoder layer")


def reload(path):
    from safetensors.torch import load_file

    fresh = TinyNet()
    fresh.load_state_dict({k.removeprefix("module."): t for k, t in load_file(path).items()})
    return fresh


def reload_plain(path):  # cells 24 and 40 re-typed: no step for a wrapped model's names
    from safetensors.torch import load_file

    fresh = TinyNet()
    fresh.load_state_dict(load_file(path))
    return fresh


def _saved(tmp_path):
    from safetensors.torch import save_file

    model = TinyNet()
    path = tmp_path / "w.safetensors"
    save_file(model.state_dict(), path)
    return model, path


def test_q3_safetensors_round_trip(tmp_path):
    model, path = _saved(tmp_path)
    right(part3.q3, reload, model, path)
    right(part3.q3, reload, model, str(path))  # a str path is fine
    wrong(part3.q3, lambda p: TinyNet(), model, path, says="load the file's tensors")
    wrong(part3.q3, lambda p: model, model, path, says="original model itself")

    def shared(p):
        net = TinyNet()
        net.hidden, net.out = model.hidden, model.out  # the same layers, not a loaded copy
        return net

    wrong(part3.q3, shared, model, path, says="shares memory")
    wrong(part3.q3, lambda p: nn.Linear(4, 8), model, path, says="parameter names")
    wrong(part3.q3, reload, path=path, says="pass the original model")
    wrong(part3.q3, reload, model, says="the file you saved too")
    wrong(part3.q3, reload(path), model, path, says="function reload itself")


def test_q3_a_copy_without_the_file_is_refused(tmp_path):
    """Review: copy.deepcopy(model) and load_state_dict(model.state_dict()) passed without the
    file being read; the checker now also calls reload on a file of its own."""
    import copy

    model, path = _saved(tmp_path)
    wrong(part3.q3, lambda p: copy.deepcopy(model), model, path, says="a file the checker wrote")

    def from_memory(p):
        fresh = TinyNet()
        fresh.load_state_dict(model.state_dict())
        return fresh

    wrong(part3.q3, from_memory, model, path, says="a file the checker wrote")
    wrong(part3.q3, reload, model, tmp_path / "never-written.safetensors", says="no file")
    from safetensors.torch import save_file

    other = TinyNet()  # a file of another model's weights
    save_file(other.state_dict(), tmp_path / "other.safetensors")
    wrong(part3.q3, reload, model, tmp_path / "other.safetensors", says="not the original's")


def test_q3_names_a_dtype_mismatch(tmp_path):
    """Review: a bf16 `fresh` was told "did the load step run?" although the load ran."""
    model, path = _saved(tmp_path)

    def bf16(p):
        from safetensors.torch import load_file

        fresh = TinyNet().to(torch.bfloat16)
        fresh.load_state_dict(load_file(p))
        return fresh

    wrong(part3.q3, bf16, model, path, says="the file holds torch.float32")


def test_q3_a_pickle_file_is_not_safetensors(tmp_path):
    model, _ = _saved(tmp_path)
    torch.save(model.state_dict(), tmp_path / "w.pt")
    wrong(part3.q3, reload, model, tmp_path / "w.pt", says="not a safetensors file")
    wrong(part3.q3, reload, model, 42, says="path")


def test_q3_needs_the_module_prefix_stripped(tmp_path):
    """Review 4: q3 re-typed cells 24 and 40; now reload must also read a file saved from a
    wrapped model (names start with "module.", as in the Gotchas)."""
    from safetensors.torch import load_file

    model, path = _saved(tmp_path)
    wrong(part3.q3, reload_plain, model, path, says="strip that prefix")

    def not_strict(p):
        fresh = TinyNet()
        fresh.load_state_dict(load_file(p), strict=False)
        return fresh

    wrong(part3.q3, not_strict, model, path, says="strict=False) skips every name")

    def by_lstrip(p):  # strips characters, not the prefix: "out.weight" becomes "t.weight"
        fresh = TinyNet()
        fresh.load_state_dict({k.lstrip("module."): t for k, t in load_file(p).items()})
        return fresh

    wrong(part3.q3, by_lstrip, model, path, says="is not removeprefix")

    def by_replace(p):  # another honest form
        fresh = TinyNet()
        fresh.load_state_dict({k.replace("module.", "", 1): t for k, t in load_file(p).items()})
        return fresh

    right(part3.q3, by_replace, model, path)


def test_q1_refuses_autograd_left_off():
    """Review: set_grad_enabled(False) without switching it back passed, leaving the whole
    session without autograd."""

    def global_off(model, inputs):
        p = next(model.parameters())
        model.eval()
        torch.set_grad_enabled(False)
        return model(inputs.to(p.device, p.dtype))

    try:
        wrong(part3.q1, global_off, says="use a `with torch.inference_mode():` block")
        assert torch.is_grad_enabled()  # the checker switched it back on
    finally:
        torch.set_grad_enabled(True)

    def set_and_restore(model, inputs):  # an honest right form
        p = next(model.parameters())
        model.eval()
        with torch.set_grad_enabled(False):
            return model(inputs.to(p.device, p.dtype))

    right(part3.q1, set_and_restore)


def test_q1_refuses_model_forward():
    """Review 3: model.forward(x) passed, although the part says to call model(x)."""

    def by_forward(model, inputs):
        p = next(model.parameters())
        model.eval()
        with torch.inference_mode():
            return model.forward(inputs.to(p.device, p.dtype))

    wrong(part3.q1, by_forward, says="not model.forward(inputs)")
    right(part3.q1, predict)
