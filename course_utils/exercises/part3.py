"""Part 3 exercises: running a model where it lives, bytes of a meta model, a safetensors
round trip.

Each checker works the expected value out with torch or transformers (imported inside the
checker, so importing this module stays cheap) rather than comparing with a number typed in here.
"""

from __future__ import annotations

from typing import Any

from . import Exercise, as_number, needs, reads, short_repr

__all__ = ["q1", "q2", "q3"]


class _Check:
    """Builds the checker's test models lazily (torch is imported only when a check runs)."""

    @staticmethod
    def net(dtype: Any, device: str) -> Any:
        import torch
        from torch import nn

        torch.manual_seed(3)
        net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(p=0.5), nn.Linear(16, 3))
        return net.to(device=device, dtype=dtype).train()  # as a model in training would be


def _meta_device_problem(answer: Any, inputs: Any) -> str | None:
    """On a runtime without a GPU, whether ``answer`` moves the inputs to a model that lives on
    another device than the CPU (PyTorch's "meta" device, which holds shapes but no data)."""
    net = _Check.net(inputs.dtype, "meta")
    told = (
        "this runtime has no GPU, so the check put a model on PyTorch's 'meta' device "
        "instead: move the inputs to the model's device as well as its dtype, both read from "
        "next(model.parameters())"
    )
    try:
        out = answer(net, inputs.clone())
    except Exception as exc:  # noqa: BLE001 - judged below, or by the checks that follow
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, RuntimeError) and "device" in first:
            return f"predict raised RuntimeError ({short_repr(first, 120)}): {told}"
        return None  # not about the device (a meta tensor has no values to read, for one)
    device = getattr(out, "device", None)
    if device is not None and device.type != "meta":
        return f"the output is not on the model's device: {told}"
    return None


def _check_q1(answer: Any, *_: Any, **__: Any) -> str | None:
    if not callable(answer):
        return (
            "pass your function itself (def predict(model, inputs): ...), not "
            f"{short_repr(answer, 60)}: the checker runs it on models of its own"
        )
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    inputs = torch.randn(5, 4)  # float32 on the CPU, as a batch you make is
    if device == "cpu":  # no GPU to move to: a model on the "meta" device (no data) stands in
        problem = _meta_device_problem(answer, inputs)
        if problem:
            return problem
    for dtype in (torch.bfloat16, torch.float64):  # two dtypes: a typed-in one cannot fit both
        net = _Check.net(dtype, device)
        # whether autograd was recording when the model ran: a detached output hides that
        recording: list[bool] = []
        net.register_forward_pre_hook(
            lambda *_, seen=recording: seen.append(torch.is_grad_enabled())
        )
        try:
            out = answer(net, inputs.clone())
        except RuntimeError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return (
                f"for a model in {dtype} on {device}, predict raised RuntimeError "
                f"({short_repr(first, 120)}): move the inputs to the model's device and dtype, "
                "read from next(model.parameters())"
            )
        if not isinstance(out, torch.Tensor):
            return f"predict should return the model's output tensor, not {type(out).__name__}"
        if out.dtype != dtype or out.device.type != device:
            return (
                f"for a model in {dtype} on {device} the output is {out.dtype} on "
                f"{out.device.type}: take both from the model's parameters, not typed in"
            )
        if out.requires_grad or out.grad_fn is not None:
            return (
                "the output carries a grad_fn: autograd recorded the forward pass; run it "
                "inside torch.inference_mode() (or torch.no_grad())"
            )
        if not recording:  # the pre-hook runs on model(...), not on model.forward(...)
            return (
                "the model's hooks never ran: call the model itself, model(inputs), not "
                "model.forward(inputs), which skips what PyTorch does around forward"
            )
        if any(recording):
            return (
                "autograd was recording while the model ran: detaching the output afterwards "
                "does not undo the record, which was built (with its saved activations) during "
                "the forward pass; run the model inside torch.inference_mode()"
            )
        again = answer(net, inputs.clone())
        if not torch.equal(out, again):
            return (
                "two calls on the same inputs gave different outputs: dropout is still active "
                "(inference_mode does not switch it off); call model.eval() first"
            )
        net.eval()
        with torch.inference_mode():
            want = net(inputs.to(device=device, dtype=dtype))
        if tuple(out.shape) != tuple(want.shape) or not torch.equal(out, want):
            return "the output is not the model's output for these inputs"
    return None


q1 = Exercise(
    name="part3.q1",
    prompt="Write predict(model, inputs): run any model on a batch made on the CPU in float32 "
    "and return its output: inputs moved to the model's device and dtype, eval mode, no "
    "autograd record.",
    checker=_check_q1,
    hint_text="param = next(model.parameters()) tells you param.device and param.dtype; "
    "inputs.to(param.device, param.dtype) moves the batch. model.eval() switches dropout off; "
    "`with torch.inference_mode():` stops autograd's record.",
    solution_text="def predict(model, inputs):\n"
    "    param = next(model.parameters())\n"
    "    model.eval()\n"
    "    with torch.inference_mode():\n"
    "        return model(inputs.to(param.device, param.dtype))\n\n"
    "part3.q1.check(predict)",
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


def _saved_tensors(path: Any) -> tuple[dict | None, str | None]:
    from pathlib import Path

    try:
        path = Path(path)
        if not path.is_file():
            where = short_repr(str(path))
            return None, f"there is no file at {where}: save the weights there first"
    except (TypeError, ValueError, OSError):
        return None, f"path should be the file's path (a str or Path), got {type(path).__name__}"
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return {name: f.get_tensor(name) for name in f.keys()}, None  # noqa: SIM118
    except (SafetensorError, OSError, ValueError, RuntimeError):
        return None, (
            f"{path.name} is not a safetensors file: write it with "
            "safetensors.torch.save_file(model.state_dict(), path)"
        )


def _matches(model: Any, saved: dict, what: str) -> str | None:
    """None when ``model`` holds exactly the tensors in ``saved``, else what differs."""
    import torch

    if not isinstance(model, torch.nn.Module):
        return f"reload should return a model (an nn.Module), got {type(model).__name__}"
    mine = model.state_dict()
    if mine.keys() != saved.keys():
        return "its parameter names differ from the file's: build the same class (TinyNet)"
    for name, tensor in saved.items():
        if mine[name].dtype != tensor.dtype:
            return (
                f"{name} is {mine[name].dtype} but the file holds {tensor.dtype}: build the "
                "model in the file's dtype (a new TinyNet is float32)"
            )
        if mine[name].shape != tensor.shape or not torch.equal(mine[name].cpu(), tensor):
            return f"for {what}, {name} differs from the file: load the file's tensors into it"
    return None


@needs("the original model", "part3.q3.check(reload, model, path)")
def _check_q3(
    answer: Any, original: Any = None, path: Any = None, *_: Any, **__: Any
) -> str | None:
    import tempfile
    from pathlib import Path

    import torch

    if path is None:
        return "pass the file you saved too: part3.q3.check(reload, model, path)"
    if isinstance(answer, torch.nn.Module):
        return (
            "pass your function reload itself, not a model: the checker calls it on your file "
            "and on a file of its own"
        )
    if not callable(answer):
        return f"the answer should be your function reload(path), got {type(answer).__name__}"
    saved, problem = _saved_tensors(path)
    if problem:
        return problem
    theirs = original.state_dict()
    if saved.keys() != theirs.keys():
        return "the file's tensor names are not the original model's: save model.state_dict()"
    for name, tensor in theirs.items():
        if saved[name].dtype != tensor.dtype or not torch.equal(saved[name], tensor.cpu()):
            return f"the file's {name} is not the original's: save model.state_dict() again"
    fresh = answer(path)
    if fresh is original:
        return "reload returned the original model itself; build a new one from the file"
    problem = _matches(fresh, saved, "your file")
    if problem:
        return problem
    for name, tensor in theirs.items():
        if fresh.state_dict()[name].data_ptr() == tensor.data_ptr():
            return f"{name} shares memory with the original: load the weights from the file"
    # a file of the checker's own, with weights no model in memory holds: only a function that
    # really reads the file gets them
    from safetensors.torch import save_file

    other = {name: (t.float() * -0.5 + 1.0).to(t.dtype).contiguous() for name, t in saved.items()}
    with tempfile.TemporaryDirectory() as tmp:
        own = Path(tmp) / "checker.safetensors"
        save_file(other, str(own))
        return _matches(answer(own), other, "a file the checker wrote")


q3 = Exercise(
    name="part3.q3",
    prompt="Save `model`'s weights to a .safetensors file at `path`, and write reload(path): a "
    "brand-new TinyNet holding the weights of the file at path. "
    "part3.q3.check(reload, model, path)",
    checker=_check_q3,
    hint_text="save_file(model.state_dict(), path) writes the file; load_file(path) reads back a "
    "dict of tensors; a new TinyNet's load_state_dict(that_dict) copies them in. The checker "
    "also calls reload on a file it writes itself, so reload must read the file it is given.",
    solution_text="path = work / 'exercise.safetensors'\n"
    "save_file(model.state_dict(), path)\n\n"
    "def reload(path):\n"
    "    fresh = TinyNet()\n"
    "    fresh.load_state_dict(load_file(path))\n"
    "    return fresh\n\n"
    "part3.q3.check(reload, model, path)",
)
