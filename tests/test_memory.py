"""course_utils.memory: estimates against the bytes bitsandbytes and transformers really hold."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import course_utils as cu
from course_utils import levers, meta, resolve
from course_utils.errors import BadInputError, CourseError, ModelNotFoundError, OfflineError
from course_utils.footprint import bytes_in_memory
from tests.fakes import FAMILIES, forward_cache_bytes, load_as, saved_models, tiny_config

CONFIGS = Path(__file__).parent / "configs"
GIB = 2**30


def cfg(name: str) -> str:
    return str(CONFIGS / f"{name}.json")


# --- the published parameter counts come out exactly from the real configs --------------------

PUBLISHED = {
    "meta-llama--Llama-3.1-8B-Instruct": 8_030_261_248,
    "meta-llama--Llama-3.1-70B-Instruct": 70_553_706_496,
    "Qwen--Qwen2.5-7B-Instruct": 7_615_616_512,
    "Qwen--Qwen2.5-0.5B-Instruct": 494_032_768,  # tied embeddings counted once
    "google--gemma-2-2b-it": 2_614_341_888,
    "mistralai--Mistral-7B-v0.1": 7_241_732_096,
}


@pytest.mark.parametrize("name", PUBLISHED)
def test_published_parameter_counts(name):
    assert cu.estimate_memory(cfg(name)).params == PUBLISHED[name]


def test_llama_8b_figures_and_the_naive_rule_is_low():
    fp16 = cu.estimate_memory(cfg("meta-llama--Llama-3.1-8B-Instruct"), "bf16")
    int8 = cu.estimate_memory(cfg("meta-llama--Llama-3.1-8B-Instruct"), "8bit")
    nf4 = cu.estimate_memory(cfg("meta-llama--Llama-3.1-8B-Instruct"), "4bit")
    assert fp16.weights_bytes == 2 * 8_030_261_248 + 2 * 64 * 4  # + two fp32 rotary buffers of 64
    assert [round(e.weights_bytes / GIB, 2) for e in (fp16, int8, nf4)] == [14.96, 8.46, 5.61]
    assert nf4.kept_params == 2 * 128256 * 4096 + 65 * 4096  # embeddings, lm_head, 65 norms
    assert nf4.naive_bytes < 0.7 * nf4.weights_bytes  # params × 0.5 misses ~1/3


def test_qwen_half_billion_4bit_is_far_above_params_times_half():
    est = cu.estimate_memory(cfg("Qwen--Qwen2.5-0.5B-Instruct"), "nf4")
    assert round(est.weights_bytes / GIB, 2) == 0.44
    assert est.naive_bytes / est.weights_bytes < 0.55


# --- tiny checkpoints loaded for real: the estimate must match the bytes held -----------------


CASES = ["float32", "bfloat16", "int8", "nf4", "nf4+dq"]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    return saved_models(tmp_path_factory, FAMILIES)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("family", FAMILIES)
def test_estimate_matches_bytes_held(checkpoints, family, case):
    auto, folder = checkpoints[family]
    model = load_as(auto, folder, case, compute="bfloat16")
    held = bytes_in_memory(model)
    est = cu.estimate_memory(folder, case.removesuffix("+dq"), double_quant=case.endswith("+dq"))
    assert abs(est.weights_bytes - held) <= 0.01 * held, (family, case, est.weights_bytes, held)
    if case in ("int8", "nf4", "nf4+dq"):
        assert (
            est.weights_bytes > est.naive_bytes * 1.1
        )  # the quantization state and kept parts are real
        assert est.quantized_params > 0 and est.kept_params > 0
    # the same answer from the loaded model itself (rebuilt from its config)
    assert (
        cu.estimate_memory(
            model, case.removesuffix("+dq"), double_quant=case.endswith("+dq")
        ).weights_bytes
        == est.weights_bytes
    )


def test_plain_module_and_meta_device_ties():
    import torch

    net = torch.nn.Sequential(
        torch.nn.Linear(128, 64), torch.nn.LayerNorm(64), torch.nn.Linear(64, 64, bias=False)
    )
    assert cu.estimate_memory(net, "fp32").weights_bytes == 4 * sum(
        p.numel() for p in net.parameters()
    )
    assert cu.estimate_memory(net, torch.float16).weights_bytes == 2 * sum(
        p.numel() for p in net.parameters()
    )
    est = cu.estimate_memory(net, "nf4")
    expected = (
        meta.quantized_weight_bytes(64, 128, "nf4")
        + meta.quantized_weight_bytes(64, 64, "nf4")
        + 2 * (64 + 64 + 64)  # the bias and the LayerNorm stay in bfloat16
    )
    assert est.weights_bytes == expected
    assert net[0].weight.device.type == "cpu"  # the caller's module is untouched


# --- inputs ------------------------------------------------------------------------------------


def test_inputs_count_config_dict_and_hub_id():
    from transformers import AutoConfig

    assert cu.estimate_memory(7_000_000_000, "fp16").weights_bytes == 14_000_000_000
    assert cu.estimate_memory("7B", "fp32").params == 7_000_000_000
    assert cu.estimate_memory(1e9, "4bit").weights_bytes == 562_500_000
    assert not cu.estimate_memory(1e9, "4bit").exact
    data = json.loads(Path(cfg("Qwen--Qwen2.5-0.5B-Instruct")).read_text())
    assert cu.estimate_memory(data).params == 494_032_768
    config = AutoConfig.for_model(**data)
    assert cu.estimate_memory(config).params == 494_032_768
    assert str(config.dtype) == "torch.bfloat16"  # not changed by building the meta model
    # a Hub id resolves offline from the cached config.json (the stand-in Hub has the real one)
    est = cu.estimate_memory("meta-llama/Llama-3.1-8B-Instruct", "bf16", seq_len=8192)
    assert est.params == 8_030_261_248
    assert est.kv_cache_bytes == 2 * 32 * 8192 * 8 * 128 * 2
    assert "Llama-3.1-8B-Instruct" in str(est) and "GiB" in est._repr_html_()


def test_hub_errors_are_course_errors(monkeypatch):
    import huggingface_hub

    with pytest.raises(OfflineError, match="not in the local cache"):
        cu.estimate_memory("nobody/not-a-cached-model")

    class ConnectError(Exception):  # httpx2's network errors are not OSError
        pass

    def no_network(*a, **k):
        raise ConnectError("[Errno -2] Name or service not known")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_network)
    with pytest.raises(OfflineError, match="cannot be reached .ConnectError"):
        cu.estimate_memory("someone/some-model")


def test_bad_inputs(tmp_path):
    for bad in [0, -5, 1.5, True, float("nan")]:
        with pytest.raises(BadInputError):
            cu.estimate_memory(bad)
    with pytest.raises(BadInputError, match="Accepted"):
        cu.estimate_memory(1e9, "float64")
    with pytest.raises(BadInputError, match="Accepted"):
        cu.bytes_per_param("int3")
    with pytest.raises(BadInputError):
        cu.estimate_memory(1e9, seq_len=-1)
    with pytest.raises(BadInputError):
        cu.estimate_memory(1e9, "nf4", compute_dtype="int8")
    with pytest.raises(ModelNotFoundError, match="config.json"):
        cu.estimate_memory(tmp_path)  # a folder without config.json
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(BadInputError, match="not valid JSON"):
        cu.estimate_memory(tmp_path)
    (tmp_path / "config.json").write_text('{"model_type": "no-such-architecture"}')
    with pytest.raises(BadInputError, match="parameter count"):
        cu.estimate_memory(tmp_path)
    with pytest.raises(ModelNotFoundError):
        cu.estimate_memory("./no/such/folder")
    with pytest.raises(BadInputError):
        cu.estimate_memory(object())
    with pytest.raises(BadInputError):
        cu.kv_cache_bytes(7e9, 1024)


def test_bytes_per_param_accepts_names_and_torch_dtypes():
    import torch

    assert [
        cu.bytes_per_param(d) for d in ["fp32", "float16", "bf16", "8bit", "int4", "nf4", "fp4"]
    ] == [4, 2, 2, 1, 0.5, 0.5, 0.5]
    assert cu.bytes_per_param(torch.bfloat16) == 2 and cu.bytes_per_param(torch.float32) == 4


# --- KV cache ----------------------------------------------------------------------------------


def test_kv_cache_formula_and_sliding_windows():
    llama, mistral, gemma = (
        cfg("meta-llama--Llama-3.1-8B-Instruct"),
        cfg("mistralai--Mistral-7B-v0.1"),
        cfg("google--gemma-2-2b-it"),
    )
    assert cu.kv_cache_bytes(llama, 1000, 2) == 2 * 32 * 1000 * 8 * 128 * 2 * 2
    assert cu.kv_cache_bytes(llama, 1000, dtype="fp32") == 2 * cu.kv_cache_bytes(llama, 1000)
    assert cu.kv_cache_bytes(mistral, 32768) == cu.kv_cache_bytes(
        mistral, 4096
    )  # every layer slides (4096)
    # Gemma 2 alternates: 13 sliding layers stop at 4096 (the cache keeps window - 1 tokens as a
    # view of the window-long tensor each step builds; test_kv measures it), 13 global layers grow
    assert cu.kv_cache_bytes(gemma, 8192) == 2 * (13 * 8192 + 13 * 4096) * 4 * 256 * 2


def test_kv_cache_matches_what_a_forward_pass_keeps():
    import torch

    config = tiny_config("Qwen2")
    held = forward_cache_bytes(config, batch_size=3, tokens=10)
    assert cu.kv_cache_bytes(config, 10, batch_size=3, dtype=torch.bfloat16) == held


# --- fits and plan -----------------------------------------------------------------------------


def test_fits_and_plan_follow_the_fix_order():
    llama8 = cfg("meta-llama--Llama-3.1-8B-Instruct")
    assert not cu.fits(llama8, "T4", "bf16")
    assert cu.fits(llama8, "T4", "4bit")
    assert cu.fits(llama8, 24, "bf16")  # a number of GiB works too
    p = cu.plan(llama8, "T4")
    assert [lv.name for lv in p.levers] == [
        "half precision",
        "8-bit",
        "4-bit",
        "offload",
        "smaller model",
        "bigger GPU",
    ]
    assert p.levers[0].dtype == "float16"  # the T4 has no native bf16
    # at the default 4,096 tokens the KV cache (0.5 GiB) and the prefill's activations push
    # the half-precision figure past a V100's usable memory: the L4 is the smallest card
    assert p.choice.name == "8-bit" and "L4" in p.levers[-1].advice
    assert p.levers[0].estimate.seq_len == 4096 and "at 4,096 tokens of context" in str(p)
    # weights alone (seq_len=0): without a flat 20 % on them, 15.0 GiB of bf16 fit a V100
    assert "V100" in cu.plan(llama8, "T4", seq_len=0).levers[-1].advice
    assert p.choice.load_kwargs == {
        "dtype": "float16", "device_map": "auto", "quantization_config": {"load_in_8bit": True}
    }  # fmt: skip
    big = cu.plan(cfg("meta-llama--Llama-3.1-70B-Instruct"), "T4")
    assert (
        big.choice is None
        and "A100-80GB" in big.levers[-1].advice
        and "8-bit" in big.levers[-1].advice
    )
    assert "does not fit" in str(big) and "<table>" in big._repr_html_()
    assert cu.plan(cfg("Qwen--Qwen2.5-0.5B-Instruct"), "A100").choice.dtype == "bfloat16"
    # 70B in fp16 on a T4: offloading would spill 117 GiB, more than the CPU RAM counted on
    offload = big.levers[3]
    assert not offload.fits and "on disk" in offload.advice
    # the RAM and disk shares add up to what is spilled (not the whole spill in RAM plus more)
    spilled, ram, disk = (float(x) for x in re.findall(r"([\d.]+) GiB", offload.advice)[:3])
    assert ram + disk == pytest.approx(spilled, abs=0.02), offload.advice
    assert offload.load_kwargs["device_map"] == "auto" and offload.load_kwargs["max_memory"]
    # the peak (weights + KV + activations) + the CUDA context is what separates "fits"
    est = cu.estimate_memory(llama8, "nf4", seq_len=4096)
    assert levers.needed_bytes(est) == est.peak_bytes + levers.CUDA_CONTEXT_BYTES
    assert est.peak_bytes > est.total_bytes
    with pytest.raises(BadInputError, match="estimate is for nf4"):
        cu.fits(est, "T4", dtype="bf16")
    assert cu.fits(est, "T4", dtype="nf4") and cu.fits(est, "T4")
    # 39.8 GiB of 4-bit weights + a 4k context fit a 48 GB card (a flat 20 % said no)
    assert cu.fits(cfg("meta-llama--Llama-3.1-70B-Instruct"), 48, "nf4", seq_len=4096)
    with pytest.raises(BadInputError, match="T4"):
        cu.fits(1e9, "GTX 480")
    with pytest.raises(BadInputError):
        cu.fits(1e9, 0)


def test_errors_are_course_errors():
    assert issubclass(OfflineError, CourseError) and issubclass(BadInputError, CourseError)


def test_gated_hub_id_falls_back_to_the_public_parameter_count(monkeypatch):
    """Online, a gated repo's config.json needs accepted terms; its parameter count does not."""

    def gated(repo_id):
        raise cu.GatedModelError(f"{repo_id} is gated")

    monkeypatch.setattr(resolve, "hub_config_json", gated)
    monkeypatch.setattr(resolve, "hub_param_count", lambda repo_id, config=None: 8_030_261_248)
    est = cu.estimate_memory("meta-llama/Llama-3.1-8B-Instruct", "bf16")
    assert est.params == 8_030_261_248 and not est.exact
    assert est.weights_bytes == 2 * 8_030_261_248
    nf4 = cu.estimate_memory("meta-llama/Llama-3.1-8B-Instruct", "nf4")
    assert (
        nf4.quantized_params == nf4.params and nf4.quantized_bytes == nf4.weights_bytes
    )  # Part 8 divides by it

    monkeypatch.setattr(
        resolve, "hub_param_count", lambda repo_id, config=None: None
    )  # offline or no info
    with pytest.raises(cu.GatedModelError):
        cu.estimate_memory("meta-llama/Llama-3.1-8B-Instruct", "bf16")


def test_kv_cache_of_a_gated_hub_id_says_to_accept_the_terms(monkeypatch):
    """The KV cache needs the layout, so no fallback to a count: the learner hears of the terms."""

    def gated(repo_id):
        raise cu.GatedModelError(f"{repo_id} is gated: accept its terms")

    monkeypatch.setattr(resolve, "hub_config_json", gated)
    monkeypatch.setattr(resolve, "hub_param_count", lambda repo_id, config=None: 8_030_261_248)
    with pytest.raises(cu.GatedModelError, match="accept its terms"):
        cu.kv_cache_bytes("meta-llama/Llama-3.1-8B-Instruct", 1024)


@pytest.mark.parametrize("seq_len", [4_096, 32_768, 65_536])
def test_smaller_model_bound_leaves_room_for_the_context(seq_len):
    """The "smaller model" count leaves room for the KV cache and the activations at the plan's
    context: a model of this shape fits in 4-bit exactly when it is within the bound."""
    llama8 = cfg("meta-llama--Llama-3.1-8B-Instruct")
    p = cu.plan(llama8, "T4", seq_len=seq_len)
    four = next(lv for lv in p.levers if lv.name == "4-bit")
    bound = re.search(r"up to about ([\d.]+)B", p.levers[4].advice)
    within = bool(bound) and four.estimate.params <= float(bound.group(1)) * 1e9
    assert within == four.fits, (seq_len, p.levers[4].advice, four.needed_bytes)
