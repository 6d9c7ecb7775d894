"""Part 3 exercises: modules, parameter counts and saving weights.

Each checker works the expected value out with torch or transformers (imported inside the
checker, so importing this module stays cheap) rather than comparing with a number typed in here.
"""

from __future__ import annotations

from typing import Any

from . import Exercise, as_int, as_number, needs, reads

__all__ = ["q1", "q2", "q3"]


def _check_q1(answer: Any, *_: Any, **__: Any) -> str | None:
    from torch import nn

    layer = nn.Linear(512, 256, device="meta")  # real shapes, no memory
    expected = sum(p.numel() for p in layer.parameters())
    answer, problem = as_int(answer, "the number of parameters")
    if problem:
        return problem
    if answer == expected:
        return None
    if answer == layer.weight.numel():
        return "that counts the weight matrix only; the layer has a bias too"
    return f"{answer:,} is {'too many' if answer > expected else 'too few'}"


q1 = Exercise(
    name="part3.q1",
    prompt="How many parameters does nn.Linear(512, 256) have?",
    checker=_check_q1,
    hint_text="The weight has shape (out_features, in_features) and the bias has one number per "
    "output. Or build the layer and add up p.numel() over layer.parameters().",
    solution_text="answer = 512 * 256 + 256   # weight + bias = 131,328\n"
    "# or: answer = sum(p.numel() for p in nn.Linear(512, 256).parameters())",
)


def _param_count(model: Any) -> int:
    """Parameters of a model given as a count, an nn.Module or a transformers config."""
    if isinstance(model, int) and not isinstance(model, bool):
        return model
    import torch

    if isinstance(model, torch.nn.Module):
        return sum(p.numel() for p in model.parameters())
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):  # builds the architecture without allocating its weights
        return AutoModelForCausalLM.from_config(model).num_parameters()


@needs("the model's config", "part3.q2.check(answer, llama_config)")
@reads(as_number, "the number of GB")
def _check_q2(answer: float, model: Any = None, *_: Any, **__: Any) -> str | None:
    expected = _param_count(model) * 2 / 1e9  # float16: 2 bytes per parameter
    close = lambda value: abs(answer - value) <= 0.01 * value  # noqa: E731
    if close(expected):
        return None
    if close(expected * 1e9):
        return "that is in bytes; divide by 1e9 to get GB"
    if close(expected * 1e9 / 2**30):
        return "that is in GiB (2**30 bytes); the question asks for GB (1e9 bytes)"
    if close(expected * 2):
        return "that is the float32 size (4 bytes per parameter); float16 takes 2"
    return f"{answer:g} GB is {'too high' if answer > expected else 'too low'}"


q2 = Exercise(
    name="part3.q2",
    prompt="How many GB (1e9 bytes) do Llama-3.1-8B's weights take in float16? "
    "Check with part3.q2.check(answer, llama_config).",
    checker=_check_q2,
    hint_text="bytes = parameters x bytes per parameter. You counted the parameters on the meta "
    "device above; float16 is 16 bits. Divide by 1e9 for GB.",
    solution_text="answer = n_llama * 2 / 1e9   "
    "# n_llama: the count from the meta model, about 16.06 GB\n"
    "# or: cu.estimate_memory(llama_config, 'float16').weights_bytes / 1e9",
)


@needs("the original model", "part3.q3.check(fresh, model)")
def _check_q3(answer: Any, original: Any = None, *_: Any, **__: Any) -> str | None:
    import torch

    if not isinstance(answer, torch.nn.Module):
        return f"the answer should be a model (an nn.Module), got {type(answer).__name__}"
    if answer is original:
        return "that is the original model itself; build a new one and load the file into it"
    mine, theirs = answer.state_dict(), original.state_dict()
    if mine.keys() != theirs.keys():
        return "its parameter names differ from the original's: build the same class"
    for name, tensor in theirs.items():
        if mine[name].data_ptr() == tensor.data_ptr():
            return f"{name} shares memory with the original: load the weights from the file"
        if mine[name].shape != tensor.shape or not torch.equal(mine[name].cpu(), tensor.cpu()):
            return f"{name} differs from the original: did the load step run?"
    return None


q3 = Exercise(
    name="part3.q3",
    prompt="Save `model`'s weights to a .safetensors file, then load them into a brand-new "
    "TinyNet and pass that: part3.q3.check(fresh, model).",
    checker=_check_q3,
    hint_text="save_file(model.state_dict(), path) writes the file; load_file(path) reads back a "
    "dict of tensors; fresh.load_state_dict(that_dict) copies them in.",
    solution_text="path = work / 'exercise.safetensors'\n"
    "save_file(model.state_dict(), path)\n"
    "fresh = TinyNet()\n"
    "fresh.load_state_dict(load_file(path))",
)
