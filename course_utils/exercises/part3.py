"""Part 3 exercises: running a model where it lives, bytes of a meta model, a safetensors
round trip.

Each checker works the expected value out with torch or transformers (imported inside the
checker, so importing this module stays cheap) rather than comparing with a number typed in here.
"""

from __future__ import annotations

from typing import Any

from . import Exercise, as_number, function, needs, reads, short_repr

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


_GRAD_LEFT_OFF = (
    "after predict returned, autograd was still off for the whole session (every later cell, "
    "training included, would run without it): use a `with torch.inference_mode():` block, "
    "which switches autograd back on when it ends, instead of torch.set_grad_enabled(False)"
)


def _grad_left_off() -> bool:
    """Whether the answer left autograd switched off; switches it back on if so."""
    import torch

    if torch.is_grad_enabled():
        return False
    torch.set_grad_enabled(True)  # undo it, so the learner's session is not left without autograd
    return True


@function("predict(model, inputs)", "runs it on models of its own")
def _check_q1(answer: Any, *_: Any, **__: Any) -> str | None:
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    inputs = torch.randn(5, 4)  # float32 on the CPU, as a batch you make is
    if device == "cpu":  # no GPU to move to: a model on the "meta" device (no data) stands in
        problem = _meta_device_problem(answer, inputs)
        if _grad_left_off():
            return _GRAD_LEFT_OFF
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
            _grad_left_off()
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return (
                f"for a model in {dtype} on {device}, predict raised RuntimeError "
                f"({short_repr(first, 120)}): move the inputs to the model's device and dtype, "
                "read from next(model.parameters())"
            )
        if _grad_left_off():
            return _GRAD_LEFT_OFF
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
        if _grad_left_off():
            return _GRAD_LEFT_OFF
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


def _meta_model(model: Any) -> Any:
    """``model`` itself, or the model a transformers config describes, built on the meta
    device (shapes, no memory)."""
    import torch

    if isinstance(model, torch.nn.Module):
        return model
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(model)


def _attention_counts(model: Any) -> dict[str, int]:
    """Parameter counts the q2 checker compares answers with, read from the (meta) model:
    the attention weights of every layer, of one layer, what they would be if K and V were as
    large as Q (no grouped-query attention), the MLPs, and the whole model."""
    model = _meta_model(model)
    layers = model.model.layers
    per_layer = sum(p.numel() for p in layers[0].self_attn.parameters())
    q = layers[0].self_attn.q_proj.weight.numel()
    o = layers[0].self_attn.o_proj.weight.numel()
    return {
        "attention": sum(sum(p.numel() for p in layer.self_attn.parameters()) for layer in layers),
        "one layer": per_layer,
        "no gqa": len(layers) * (2 * q + 2 * o),
        "mlp": sum(sum(p.numel() for p in layer.mlp.parameters()) for layer in layers),
        "whole": sum(p.numel() for p in model.parameters()),
        "layers": len(layers),
    }


def _read_gb(answer: Any, what: str) -> tuple[float | None, str | None]:
    """A number of GB; text such as '2.7' is refused: the question asks for a number."""
    if isinstance(answer, str):
        return None, (
            f"{what} should be a number (such as n * 2 / 1e9), not the text {short_repr(answer)}"
        )
    return as_number(answer, what)


@needs("the model's config", "part3.q2.check(answer, llama_config)")
@reads(_read_gb, "the number of GB")
def _check_q2(answer: float, model: Any = None, *_: Any, **__: Any) -> str | None:
    counts = _attention_counts(model)
    expected = counts["attention"] * 2 / 1e9  # bfloat16: 2 bytes per parameter
    close = lambda value: abs(answer - value) <= 0.005 * value  # noqa: E731
    # Two decimals are asked for: anything within 0.01 GB either side passes (2.68 and 2.69).
    if close(expected) or (expected >= 0.5 and abs(answer - expected) <= 0.01):
        return None
    if expected >= 0.5 and answer == round(expected, 1):
        return (
            f"{answer:g} is the right size rounded to one decimal; the question asks for two "
            "decimals (print it with :.2f)"
        )
    if close(counts["no gqa"] * 2 / 1e9):
        return (
            "that counts k_proj and v_proj as large as q_proj; print one layer's self_attn in "
            "the meta model: with fewer key/value heads than query heads (grouped-query "
            "attention), K and V are smaller"
        )
    if close(counts["one layer"] * 2 / 1e9):
        return f"that is one decoder layer's attention; the model has {counts['layers']} layers"
    if close(expected * 1e9):
        return "that is in bytes; divide by 1e9 to get GB"
    if close(expected * 1e9 / 2**30):
        return "that is in GiB (2**30 bytes); the question asks for GB (1e9 bytes)"
    if close(expected * 2):
        return "that is the float32 size (4 bytes per parameter); bfloat16 takes 2"
    if close(counts["mlp"] * 2 / 1e9):
        return "that is the MLPs (mlp); the question asks for the attention weights (self_attn)"
    if close(counts["whole"] * 2 / 1e9):
        return "that is the whole model; the question asks for the attention weights only"
    return f"{answer:g} GB is {'too high' if answer > expected else 'too low'}"


q2 = Exercise(
    name="part3.q2",
    prompt="How many GB (1e9 bytes) do the attention weights of Llama-3.1-8B (every parameter "
    "under self_attn, in all its decoder layers) take in bfloat16, to two decimals? "
    "Check with part3.q2.check(answer, llama_config).",
    checker=_check_q2,
    hint_text="The config table does not give you these shapes; the meta model does. "
    "print(llama.model.layers[0].self_attn) shows one layer's four projections. Which of "
    "named_parameters() belong to an attention layer, and how many bytes is each number?",
    solution_text="n = sum(p.numel() for name, p in llama.named_parameters()\n"
    "        if '.self_attn.' in name)\n"
    "answer = n * 2 / 1e9   # about 2.68 GB\n"
    "# Per layer: q_proj and o_proj are 4096 x 4096, but k_proj and v_proj are 1024 x 4096:\n"
    "# Llama 3.1 shares 8 key/value heads among 32 query heads (grouped-query attention).",
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


_LSTRIP = (
    " (name.lstrip('module.') is not removeprefix: it strips any of the characters m, o, d, u, "
    "l, e and '.' from the start, so it eats into names such as 'out.weight')"
)


@needs("the original model and the file you saved", "part3.q3.check(reload, model, path)")
@function("reload(path)", "runs it on files of its own")
def _check_q3(
    answer: Any, original: Any = None, path: Any = None, *_: Any, **__: Any
) -> str | None:
    import tempfile
    from pathlib import Path

    import torch

    if isinstance(answer, torch.nn.Module):
        return (
            "pass your function reload itself, not a model: the checker calls it on your file "
            "and on a file of its own"
        )
    saved, problem = _saved_tensors(path)
    if problem:
        return problem
    theirs = original.state_dict()
    if saved.keys() != theirs.keys():
        return "the file's tensor names are not the original model's: save model.state_dict()"
    for name, tensor in theirs.items():
        if saved[name].dtype != tensor.dtype or not torch.equal(saved[name], tensor.cpu()):
            return f"the file's {name} is not the original's: save model.state_dict() again"
    try:
        fresh = answer(path)
    except (RuntimeError, KeyError) as exc:
        first = str(exc).splitlines()[0].rstrip(".:") if str(exc) else type(exc).__name__
        return (
            f"reload raised {type(exc).__name__} on the file you saved: {short_repr(first, 100)}. "
            f"Its names are the model's own{_LSTRIP}"
        )
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
        problem = _matches(answer(own), other, "a file the checker wrote")
        if problem:
            return problem
        # the same weights as a model wrapped for multi-GPU training saves them: every name
        # starts with "module." (the Gotchas show the error that gives)
        wrapped = Path(tmp) / "wrapped.safetensors"
        save_file({f"module.{name}": t for name, t in other.items()}, str(wrapped))
        strip = (
            "for a file saved from a wrapped model, whose names all start with 'module.', "
            "reload must strip that prefix (name.removeprefix('module.')) before load_state_dict"
        )
        try:
            fresh = answer(wrapped)
        except (RuntimeError, KeyError) as exc:
            first = str(exc).splitlines()[0].rstrip(".:") if str(exc) else type(exc).__name__
            return f"{strip}{_LSTRIP}; it raised {type(exc).__name__}: {short_repr(first, 100)}"
        if _matches(fresh, other, "a file saved from a wrapped model"):
            return (
                f"{strip}: the model reload returned for it does not hold the file's weights "
                "(load_state_dict(..., strict=False) skips every name it does not know)"
            )
        return None


q3 = Exercise(
    name="part3.q3",
    prompt="Save `model`'s weights to a .safetensors file at `path`, and write reload(path): a "
    "brand-new TinyNet holding the weights of the file at path, also when the file was saved "
    "from a wrapped model and every name starts with 'module.'. "
    "part3.q3.check(reload, model, path)",
    checker=_check_q3,
    hint_text="save_file and load_file (cells above) write and read the file; load_file gives "
    "you a plain dict, so you can change its keys before a new TinyNet's load_state_dict. "
    "Compare the names in the Gotchas' error message with TinyNet's own.",
    solution_text="path = work / 'exercise.safetensors'\n"
    "save_file(model.state_dict(), path)\n\n"
    "def reload(path):\n"
    "    state = {name.removeprefix('module.'): t for name, t in load_file(path).items()}\n"
    "    fresh = TinyNet()\n"
    "    fresh.load_state_dict(state)\n"
    "    return fresh\n\n"
    "part3.q3.check(reload, model, path)",
)
