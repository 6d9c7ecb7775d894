"""load_model(model, plan=p): it loads exactly the plan's chosen lever and reports measured bytes
against the plan's prediction (real loads of a tiny Llama on the CPU; bitsandbytes runs there)."""

from __future__ import annotations

import pytest

import course_utils as cu
from course_utils.footprint import bytes_in_memory
from course_utils.gpu import GIB
from tests.fakes import tiny_llama_folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_llama_folder(tmp_path_factory.mktemp("plan") / "llama")


def gpu_between(tiny, smaller: str, bigger: str) -> float:
    """GiB of a GPU on which ``bigger`` is too big and ``smaller`` fits (read from a plan of the
    weights alone: at a long context 8-bit's int32 buffer can cost this tiny model more than
    16-bit weights save)."""
    need = {lv.name: lv.needed_bytes for lv in cu.plan(tiny, 80, seq_len=0).levers}
    return (need[smaller] + need[bigger]) / 2 / GIB


@pytest.fixture
def calls(monkeypatch):
    """The keyword arguments every from_pretrained call gets (the real load still runs)."""
    import transformers

    seen = []
    real = transformers.AutoModelForCausalLM.from_pretrained.__func__

    def spy(cls, *args, **kwargs):
        seen.append(kwargs)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", classmethod(spy))
    return seen


def test_half_precision_lever_loads_as_planned(tiny, calls):
    import torch

    p = cu.plan(tiny, 80)
    assert p.choice.name == "half precision"
    loaded = cu.load_model(tiny, plan=p, verbose=False)
    (kwargs,) = calls
    assert kwargs["dtype"] is torch.bfloat16 and kwargs["device_map"] == "auto"
    assert "quantization_config" not in kwargs
    assert loaded.model.dtype is torch.bfloat16
    held = bytes_in_memory(loaded.model)
    assert loaded.report.bytes_held == held == p.choice.estimate.weights_bytes
    text = str(loaded.report)
    assert "(estimate " in text and "cu.plan chose half precision (bfloat16)" in text


QUANTIZED_LEVERS = [("4-bit", "8-bit", "Linear4bit"), ("8-bit", "half precision", "Linear8bitLt")]


@pytest.mark.parametrize("lever,bigger,layer", QUANTIZED_LEVERS)
def test_quantized_levers_rebuild_the_bitsandbytes_config(tiny, calls, lever, bigger, layer):
    from transformers import BitsAndBytesConfig

    p = cu.plan(tiny, gpu_between(tiny, lever, bigger), seq_len=0)
    assert p.choice.name == lever
    assert isinstance(p.choice.load_kwargs["quantization_config"], dict)  # stored as arguments
    loaded = cu.load_model(tiny, plan=p, verbose=False)
    (kwargs,) = calls
    bnb = kwargs["quantization_config"]
    assert isinstance(bnb, BitsAndBytesConfig)
    stored = p.choice.load_kwargs["quantization_config"]
    assert {k: str(getattr(bnb, k)).removeprefix("torch.") for k in stored} == {
        k: str(v) for k, v in stored.items()
    }
    kinds = {type(m).__name__ for m in loaded.model.modules()}
    assert layer in kinds
    # the measured bytes held are the plan's predicted weights, to the byte
    assert loaded.report.bytes_held == bytes_in_memory(loaded.model)
    assert loaded.report.bytes_held == p.choice.estimate.weights_bytes
    assert loaded.report.estimate_bytes == p.choice.estimate.weights_bytes


def test_load_call_is_the_chosen_lever_as_code(tiny):
    p = cu.plan(tiny, gpu_between(tiny, "4-bit", "8-bit"), seq_len=0)
    call = p.load_call()
    assert call.startswith(f"AutoModelForCausalLM.from_pretrained(\n    {str(tiny)!r},")
    assert "quantization_config=BitsAndBytesConfig(load_in_4bit=True" in call
    assert "bnb_4bit_compute_dtype=torch.bfloat16" in call


def test_a_plan_with_nothing_to_load(tiny):
    p = cu.plan(tiny, 0.5)  # less than the CUDA context alone
    assert p.choice is None
    with pytest.raises(cu.WontFitError, match="Nothing to load.*in any precision.*bigger GPU: "):
        cu.load_model(tiny, plan=p)


def test_plan_misuse(tiny, tmp_path):
    p = cu.plan(tiny, 80)
    with pytest.raises(cu.BadInputError, match="decides quantize, dtype itself"):
        cu.load_model(tiny, plan=p, quantize="4bit", dtype="float16")
    with pytest.raises(cu.BadInputError, match="This plan is for llama, not"):
        cu.load_model(tiny_llama_folder(tmp_path / "other"), plan=p)
    with pytest.raises(cu.BadInputError, match="what cu.plan"):
        cu.load_model(tiny, plan={"dtype": "bfloat16"})


def test_offload_that_spills_to_disk_reads_needs_disk():
    """Review s9 (Part 8): the 70B's offload row printed "too big" although its load call runs,
    weights on disk. It reads "needs disk" and still does not count as fitting."""
    from transformers import LlamaConfig

    # Llama-3.1-70B's config.json numbers, as Part 8 types them
    shape = LlamaConfig(vocab_size=128_256, hidden_size=8_192, intermediate_size=28_672,
                        num_hidden_layers=80, num_attention_heads=64, num_key_value_heads=8,
                        max_position_embeddings=131_072)  # fmt: skip
    shape.architectures = ["LlamaForCausalLM"]
    shape.name_or_path = "Llama-3.1-70B-shape"
    plan = cu.plan(shape, gpu="T4", seq_len=4_096)
    offload = next(lever for lever in plan.levers if lever.name == "offload")
    assert not offload.fits
    assert offload.cells()[2].startswith("needs disk")
    assert all(lever.cells()[2].startswith("too big") for lever in plan.levers[:3])
