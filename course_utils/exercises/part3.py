"""Part 3 exercises: modules, parameter counts and saving weights.

Each checker works the expected value out with torch or transformers (imported inside the
checker, so importing this module stays cheap) rather than comparing with a number typed in here.
"""

from __future__ import annotations

from typing import Any

from . import Exercise, as_number, as_whole, needs, reads, short_repr

__all__ = ["q1", "q2", "q3"]


def _check_q1(answer: Any, *_: Any, **__: Any) -> str | None:
    from torch import nn

    layer = nn.Linear(512, 256, device="meta")  # real shapes, no memory
    expected = sum(p.numel() for p in layer.parameters())
    answer, problem = as_whole(answer, "the number of parameters")
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


def _input_output_params(model: Any) -> tuple[int, bool]:
    """(parameters in the input embedding and the output head, whether the two are one tensor)
    of a transformers config or a model, counted on the meta device (no memory)."""
    import torch

    if not isinstance(model, torch.nn.Module):
        from transformers import AutoModelForCausalLM

        with torch.device("meta"):  # builds the architecture without allocating its weights
            model = AutoModelForCausalLM.from_config(model)
    embed, head = model.get_input_embeddings().weight, model.get_output_embeddings().weight
    tied = embed is head
    return embed.numel() + (0 if tied else head.numel()), tied


@needs("the model's config", "part3.q2.check(answer, llama_config)")
@reads(as_number, "the number of GB")
def _check_q2(answer: float, model: Any = None, *_: Any, **__: Any) -> str | None:
    n, tied = _input_output_params(model)
    expected = n * 2 / 1e9  # bfloat16: 2 bytes per parameter
    one = (n if tied else n // 2) * 2 / 1e9
    close = lambda value: abs(answer - value) <= 0.005 * value  # noqa: E731
    if close(expected):
        return None
    if not tied and close(one):
        return (
            "that is one of the two matrices; this model does not tie them "
            "(tie_word_embeddings=False), so embed_tokens and lm_head are two tensors"
        )
    if tied and close(expected * 2):
        return (
            "this model ties them: embed_tokens and lm_head are one tensor with two names, "
            "so it counts once"
        )
    if close(expected * 1e9):
        return "that is in bytes; divide by 1e9 to get GB"
    if close(expected * 1e9 / 2**30):
        return "that is in GiB (2**30 bytes); the question asks for GB (1e9 bytes)"
    if close(expected * 2):
        return "that is the float32 size (4 bytes per parameter); bfloat16 takes 2"
    whole = _param_count(model) * 2 / 1e9
    if close(whole):
        return "that is the whole model; the question asks for the embedding and the head only"
    return f"{answer:g} GB is {'too high' if answer > expected else 'too low'}"


q2 = Exercise(
    name="part3.q2",
    prompt="How many GB (1e9 bytes) do Llama-3.1-8B's input embedding and output head "
    "(embed_tokens and lm_head) take in bfloat16? Check with part3.q2.check(answer, llama_config).",
    checker=_check_q2,
    hint_text="Find the two weights in the meta model: llama.model.embed_tokens.weight and "
    "llama.lm_head.weight (or llama.get_input_embeddings() / get_output_embeddings()). "
    "Add their numel(), times 2 bytes, divided by 1e9. Are they one tensor or two?",
    solution_text="n = llama.model.embed_tokens.weight.numel() + llama.lm_head.weight.numel()\n"
    "answer = n * 2 / 1e9   # 2 x 128256 x 4096 x 2 bytes = about 2.10 GB\n"
    "# Llama 3.1 8B does not tie them (tie_word_embeddings=False): two matrices.\n"
    "# A model that ties them (Qwen2.5-0.5B, SmolLM2) stores one, counted once.",
)


@needs("the original model", "part3.q3.check(fresh, model, path)")
def _check_q3(
    answer: Any, original: Any = None, path: Any = None, *_: Any, **__: Any
) -> str | None:
    from pathlib import Path

    import torch

    if path is None:
        return "pass the file you saved too: part3.q3.check(fresh, model, path)"
    if not isinstance(answer, torch.nn.Module):
        return f"the answer should be a model (an nn.Module), got {type(answer).__name__}"
    if answer is original:
        return "that is the original model itself; build a new one and load the file into it"
    try:
        path = Path(path)
        if not path.is_file():
            return f"there is no file at {short_repr(str(path))}: save the weights there first"
    except (TypeError, ValueError, OSError):
        return f"path should be the file's path (a str or Path), got {type(path).__name__}"
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            saved = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError, RuntimeError):
        return (
            f"{path.name} is not a safetensors file: write it with "
            "safetensors.torch.save_file(model.state_dict(), path)"
        )
    mine, theirs = answer.state_dict(), original.state_dict()
    if saved.keys() != theirs.keys():
        return "the file's tensor names are not the original model's: save model.state_dict()"
    for name, tensor in theirs.items():
        if saved[name].dtype != tensor.dtype or not torch.equal(saved[name], tensor.cpu()):
            return f"the file's {name} is not the original's: save model.state_dict() again"
    if mine.keys() != theirs.keys():
        return "its parameter names differ from the original's: build the same class"
    for name, tensor in theirs.items():
        if mine[name].data_ptr() == tensor.data_ptr():
            return f"{name} shares memory with the original: load the weights from the file"
        if mine[name].shape != tensor.shape or not torch.equal(mine[name].cpu(), saved[name]):
            return f"{name} differs from the file: did the load step run?"
    return None


q3 = Exercise(
    name="part3.q3",
    prompt="Save `model`'s weights to a .safetensors file, load them into a brand-new TinyNet "
    "called `fresh`, and pass both with the file: part3.q3.check(fresh, model, path).",
    checker=_check_q3,
    hint_text="save_file(model.state_dict(), path) writes the file; load_file(path) reads back a "
    "dict of tensors; fresh.load_state_dict(that_dict) copies them in. The checker opens your "
    "file itself, so a copy made without it does not count.",
    solution_text="path = work / 'exercise.safetensors'\n"
    "save_file(model.state_dict(), path)\n"
    "fresh = TinyNet()\n"
    "fresh.load_state_dict(load_file(path))\n"
    "part3.q3.check(fresh, model, path)",
)
