"""Checkpoints saved already quantized, sized from their files (prequant.py), against real loads.

bitsandbytes 4/8-bit checkpoints are made and loaded back for real on the CPU; FP8 loads for
real too (transformers dequantizes it on a CPU, which is the figure checked there). GPTQ, AWQ and
compressed-tensors have no loader here: their files are built with the tensors those formats
store, and the estimate must be the bytes the files hold plus the buffers the model makes itself.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

import course_utils as cu
from course_utils.errors import BadInputError, CourseError
from course_utils.footprint import bytes_in_memory
from tests.fakes import FAMILIES

# name -> BitsAndBytesConfig arguments of the checkpoint saved quantized
BNB = {
    "nf4": dict(load_in_4bit=True, bnb_4bit_quant_type="nf4"),
    "nf4-dq": dict(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True),
    "fp4": dict(load_in_4bit=True, bnb_4bit_quant_type="fp4"),
    "int8": dict(load_in_8bit=True),
}


def data_bytes(folder: Path) -> int:
    """Bytes of tensor data in a folder's safetensors files: file size minus the header."""
    total = 0
    for f in folder.glob("*.safetensors"):
        with open(f, "rb") as fh:
            header = int.from_bytes(fh.read(8), "little")
        total += f.stat().st_size - 8 - header
    return total


def unsaved_buffer_bytes(model) -> int:
    """Bytes of the buffers a loaded model holds that its state dict does not save (each storage
    once; from_pretrained gives rotary ``inv_freq`` and ``original_inv_freq`` one each)."""
    saved = set(model.state_dict())
    storages = {
        b.untyped_storage().data_ptr(): b.untyped_storage().nbytes()
        for n, b in model.named_buffers()
        if n not in saved
    }
    return sum(storages.values())


def _base(tmp: Path, family: str, dtype: str) -> Path:
    import torch
    import transformers

    auto, config_cls, kw = FAMILIES[family]
    torch.manual_seed(0)
    config = getattr(transformers, config_cls)(**kw)
    model = getattr(transformers, auto).from_config(config, dtype=getattr(torch, dtype))
    model.save_pretrained(tmp / "base")
    return tmp / "base"


@pytest.fixture(scope="module")
def bnb_checkpoints(tmp_path_factory):
    """(family, saved dtype, kind) -> a folder of a checkpoint saved quantized by bitsandbytes."""
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    out = {}
    for family, dtype in [("llama-untied", "bfloat16"), ("llama-untied", "float32"),
                          ("gpt2-conv1d", "float16")]:  # fmt: skip
        base = _base(tmp_path_factory.mktemp(family), family, dtype)
        kinds = BNB if dtype == "bfloat16" else ["nf4-dq", "int8"]
        for kind in kinds:
            q = BitsAndBytesConfig(**BNB[kind])
            model = AutoModelForCausalLM.from_pretrained(
                base, quantization_config=q, dtype=getattr(torch, dtype)
            )
            folder = base.parent / kind
            model.save_pretrained(folder)
            out[family, dtype, kind] = folder
    return out


def test_bnb_checkpoint_matches_the_bytes_held_when_loaded_back(bnb_checkpoints):
    from transformers import AutoConfig, AutoModelForCausalLM

    for (family, dtype, kind), folder in bnb_checkpoints.items():
        loaded = AutoModelForCausalLM.from_pretrained(folder)
        held = bytes_in_memory(loaded)
        est = cu.estimate_memory(folder, dtype)  # the dtype it was saved in: what loads by default
        assert est.weights_bytes == held, (family, dtype, kind, est.weights_bytes, held)
        # parameters of the model, not the packed uint8 elements the header counts
        unquantized = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(folder))
        assert est.params == unquantized.num_parameters()
        assert est.exact and est.compute_dtype == dtype
        # a config read by transformers names its folder: the same figure from the same files
        assert cu.estimate_memory(AutoConfig.from_pretrained(folder), dtype).weights_bytes == held
        assert kind.split("-")[0] in est.label and "stored checkpoint" in str(est)
        # a dtype passed to from_pretrained casts only the biases: every weight stays as saved
        other = "float32" if dtype != "float32" else "bfloat16"
        reloaded = bytes_in_memory(AutoModelForCausalLM.from_pretrained(folder, dtype=other))
        assert cu.estimate_memory(folder, other).weights_bytes == reloaded, (family, kind)


def test_a_sharded_checkpoint_is_read_file_by_file(bnb_checkpoints, tmp_path):
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    base = bnb_checkpoints["llama-untied", "bfloat16", "int8"].parent / "base"
    q = BitsAndBytesConfig(**BNB["int8"])
    model = AutoModelForCausalLM.from_pretrained(base, quantization_config=q, dtype="bfloat16")
    model.save_pretrained(tmp_path, max_shard_size="200KB")
    assert len(list(tmp_path.glob("*.safetensors"))) > 1
    held = bytes_in_memory(AutoModelForCausalLM.from_pretrained(tmp_path))
    assert cu.estimate_memory(tmp_path).weights_bytes == held


def test_header_parameter_count_of_a_4bit_checkpoint_is_packed(bnb_checkpoints):
    from huggingface_hub import get_local_safetensors_metadata

    folder = bnb_checkpoints["llama-untied", "bfloat16", "nf4"]
    packed = sum(get_local_safetensors_metadata(folder).parameter_count.values())
    est = cu.estimate_memory(folder)
    assert packed < 0.8 * est.params  # why the header's count cannot be used as parameters
    # and params × 2 bytes (what the unquantized path gives) is far above what it holds
    assert est.params * 2 > 1.5 * est.weights_bytes


def test_a_cached_hub_id_is_read_offline(bnb_checkpoints, tmp_path, monkeypatch):
    import shutil

    from huggingface_hub import constants

    folder = bnb_checkpoints["llama-untied", "bfloat16", "nf4-dq"]
    repo = tmp_path / "hub" / "models--someone--tiny-nf4"
    sha = "0" * 40
    shutil.copytree(folder, repo / "snapshots" / sha)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    assert cu.estimate_memory("someone/tiny-nf4").weights_bytes == (
        cu.estimate_memory(folder).weights_bytes
    )
    cached = cu.estimate_memory(folder).weights_bytes
    (repo / "snapshots" / sha / "model.safetensors").unlink()  # only config.json cached
    with pytest.raises(CourseError, match="safetensors files are not here"):
        cu.estimate_memory("someone/tiny-nf4")
    # online, only the headers are read from the Hub (a range request per file)
    import huggingface_hub
    from huggingface_hub import get_local_safetensors_metadata

    from course_utils import prequant

    asked = []
    headers = get_local_safetensors_metadata(folder)
    monkeypatch.setattr(prequant, "offline", lambda: False)
    monkeypatch.setattr(
        huggingface_hub, "get_safetensors_metadata", lambda r, **k: asked.append(r) or headers
    )
    assert cu.estimate_memory("someone/tiny-nf4").weights_bytes == cached
    assert asked == ["someone/tiny-nf4"]


# --- formats with no loader here: files with the tensors they store ---------------------------
GROUP = 32


def _gptq(out: int, inn: int) -> dict:
    import torch

    return {"qweight": ((inn // 8, out), torch.int32), "qzeros": ((inn // GROUP, out // 8),
            torch.int32), "scales": ((inn // GROUP, out), torch.float16),
            "g_idx": ((inn,), torch.int32)}  # fmt: skip


def _awq(out: int, inn: int) -> dict:
    import torch

    return {"qweight": ((inn, out // 8), torch.int32), "qzeros": ((inn // GROUP, out // 8),
            torch.int32), "scales": ((inn // GROUP, out), torch.float16)}  # fmt: skip


def _compressed(out: int, inn: int) -> dict:
    import torch

    return {"weight_packed": ((out, inn // 8), torch.int32), "weight_scale": ((out, inn // GROUP),
            torch.bfloat16), "weight_shape": ((2,), torch.int32)}  # fmt: skip


def _fp8(out: int, inn: int) -> dict:
    import torch

    blocks = (math.ceil(out / 128), math.ceil(inn / 128))
    return {
        "weight": ((out, inn), torch.float8_e4m3fn),
        "weight_scale_inv": (blocks, torch.float32),
    }


FORMATS = {
    "gptq": (_gptq, {"quant_method": "gptq", "bits": 4, "group_size": GROUP, "desc_act": False}),
    "awq": (_awq, {"quant_method": "awq", "bits": 4, "group_size": GROUP, "version": "gemm"}),
    "compressed-tensors": (_compressed, {
        "quant_method": "compressed-tensors", "format": "pack-quantized",
        "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 4}}}}),
    "fp8": (_fp8, {"quant_method": "fp8", "activation_scheme": "dynamic",
                   "weight_block_size": [128, 128]}),
}  # fmt: skip


def write_quantized(folder: Path, fmt: str, quant_method: str | None = None) -> Any:
    """A tiny Llama whose linear layers are stored as ``fmt`` stores them; returns the same
    model unquantized, saved and loaded back by from_pretrained."""
    import torch
    import transformers
    from safetensors.torch import save_file

    auto, config_cls, kw = FAMILIES["llama-untied"]
    torch.manual_seed(0)
    config = getattr(transformers, config_cls)(**kw, architectures=["LlamaForCausalLM"])
    model = transformers.LlamaForCausalLM(config).to(torch.bfloat16)
    layout, qconfig = FORMATS[fmt]
    tensors = {}
    for name, t in model.state_dict().items():
        if not name.endswith("_proj.weight"):  # embeddings, norms, head: as they are
            tensors[name] = t.contiguous()
            continue
        for suffix, (shape, dtype) in layout(*t.shape).items():
            prefix = name.removesuffix("weight")
            tensors[prefix + suffix] = torch.zeros(shape).to(dtype)
    folder.mkdir()
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    data = config.to_dict() | {"quantization_config": {**qconfig}, "dtype": "bfloat16"}
    if quant_method:
        data["quantization_config"]["quant_method"] = quant_method
    (folder / "config.json").write_text(json.dumps(data))
    model.save_pretrained(folder.parent / f"{folder.name}-unquantized")
    return transformers.AutoModelForCausalLM.from_pretrained(
        folder.parent / f"{folder.name}-unquantized"
    )


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_stored_formats_are_the_bytes_their_files_hold(tmp_path, fmt):
    model = write_quantized(tmp_path / fmt, fmt)
    est = cu.estimate_memory(tmp_path / fmt, seq_len=64)
    assert est.weights_bytes == data_bytes(tmp_path / fmt) + unsaved_buffer_bytes(model)
    assert est.params == model.num_parameters()  # the model's, not the header's packed count
    assert est.exact and "stored checkpoint" in str(est)
    assert est.kv_cache_bytes == cu.kv_cache_bytes(model.config, 64, dtype="bfloat16")
    assert (fmt.upper() if fmt != "compressed-tensors" else fmt) in est.label


def test_fp8_on_the_cpu_is_dequantized_as_the_estimate_says(tmp_path):
    """Transformers dequantizes FP8 where no GPU of compute capability 8.9+ runs it: measured."""
    import torch
    from transformers import AutoModelForCausalLM

    write_quantized(tmp_path / "fp8", "fp8")
    for dtype in ("bfloat16", "float32"):
        loaded = AutoModelForCausalLM.from_pretrained(tmp_path / "fp8", dtype=getattr(torch, dtype))
        est = cu.estimate_memory(tmp_path / "fp8", dtype)
        assert est.dequantized_bytes == bytes_in_memory(loaded), dtype
        assert "dequantizes FP8" in str(est)


def test_unknown_method_says_what_it_can_still_give(tmp_path):
    write_quantized(tmp_path / "hqq", "gptq", quant_method="hqq")
    with pytest.raises(BadInputError, match="'hqq'.*inexact.*store") as info:
        cu.estimate_memory(tmp_path / "hqq")
    stored = f"{data_bytes(tmp_path / 'hqq') / 2**30:.2f} GiB"
    assert stored in str(info.value)


def test_a_config_of_a_quantized_checkpoint_without_its_files(tmp_path):
    write_quantized(tmp_path / "gptq", "gptq")
    data = json.loads((tmp_path / "gptq" / "config.json").read_text())
    with pytest.raises(CourseError, match="pass the folder or Hub id"):
        cu.estimate_memory(data)
    os.remove(tmp_path / "gptq" / "model.safetensors")
    with pytest.raises(CourseError, match="safetensors files are not here"):
        cu.estimate_memory(tmp_path / "gptq")


GPT_OSS = dict(vocab_size=256, hidden_size=128, intermediate_size=128, num_hidden_layers=2,
               num_attention_heads=4, num_key_value_heads=2, head_dim=32, num_local_experts=4,
               num_experts_per_tok=2,
               layer_types=["sliding_attention", "full_attention"])  # fmt: skip


def write_mxfp4(folder: Path) -> Any:
    """A tiny GPT-OSS whose experts are stored as MXFP4 (uint8 blocks of 32 values, 16 bytes,
    and a uint8 exponent per block); returns the model unquantized, loaded by from_pretrained."""
    import torch
    import transformers
    from safetensors.torch import save_file

    torch.manual_seed(0)
    config = transformers.GptOssConfig(**GPT_OSS, architectures=["GptOssForCausalLM"])
    model = transformers.GptOssForCausalLM(config).to(torch.bfloat16)
    tensors = {}
    for name, t in model.state_dict().items():
        if not name.endswith(("experts.gate_up_proj", "experts.down_proj")):
            tensors[name] = t.contiguous()
            continue
        experts, inn, out = t.shape
        tensors[name + "_blocks"] = torch.zeros(experts, out, inn // 32, 16, dtype=torch.uint8)
        tensors[name + "_scales"] = torch.full((experts, out, inn // 32), 127, dtype=torch.uint8)
    folder.mkdir()
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    q = {"quant_method": "mxfp4", "modules_to_not_convert": ["model.layers.*.self_attn",
         "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]}  # fmt: skip
    data = config.to_dict() | {"quantization_config": q, "dtype": "bfloat16"}
    (folder / "config.json").write_text(json.dumps(data))
    model.save_pretrained(folder.parent / "unquantized")
    return transformers.AutoModelForCausalLM.from_pretrained(folder.parent / "unquantized")


def test_mxfp4_stored_and_dequantized_on_the_cpu(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    model = write_mxfp4(tmp_path / "mxfp4")
    est = cu.estimate_memory(tmp_path / "mxfp4")
    assert est.weights_bytes == data_bytes(tmp_path / "mxfp4") + unsaved_buffer_bytes(model)
    assert est.params == model.num_parameters() and est.label == "MXFP4"
    for dtype in ("bfloat16", "float32"):  # no triton or kernels here: dequantized, measured
        loaded = AutoModelForCausalLM.from_pretrained(
            tmp_path / "mxfp4", dtype=getattr(torch, dtype)
        )
        held = bytes_in_memory(loaded)
        assert cu.estimate_memory(tmp_path / "mxfp4", dtype).dequantized_bytes == held, dtype


def test_a_gated_quantized_repo_is_sized_from_its_bytes_per_dtype(bnb_checkpoints, monkeypatch):
    """Gated: no config.json, no headers; the public model info counts parameters per dtype,
    and for a checkpoint saved quantized those counts are packed values."""
    import huggingface_hub
    from huggingface_hub import get_local_safetensors_metadata
    from transformers import AutoModelForCausalLM

    from course_utils import resolve

    folder = bnb_checkpoints["llama-untied", "bfloat16", "nf4"]
    per_dtype = get_local_safetensors_metadata(folder).parameter_count
    info = type("Info", (), {"safetensors": type("S", (), {
        "total": sum(per_dtype.values()), "parameters": per_dtype})})  # fmt: skip

    def gated(repo_id):
        raise cu.GatedModelError(f"{repo_id} is gated")

    def no_headers(repo_id, **kw):
        raise OSError("gated")

    monkeypatch.setattr(resolve, "hub_config_json", gated)
    monkeypatch.setattr(resolve, "offline", lambda: False)
    monkeypatch.setattr(huggingface_hub, "get_safetensors_metadata", no_headers)
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", lambda self, r, **k: info)
    est = cu.estimate_memory("someone/gated-nf4")
    held = bytes_in_memory(AutoModelForCausalLM.from_pretrained(folder))
    assert est.weights_bytes == data_bytes(folder) and not est.exact
    assert abs(est.weights_bytes - held) <= 0.01 * held  # the parsed blobs and buffers apart
    assert any("saved quantized" in n for n in est.notes)


def test_plan_of_a_checkpoint_saved_quantized_offers_it_as_stored(bnb_checkpoints):
    """One "as stored" lever, no bitsandbytes on top: load_model(plan=) loads it, and the bytes
    it holds are the lever's figure (issue 28)."""
    for (family, dtype, kind), folder in bnb_checkpoints.items():
        if family != "llama-untied" or dtype != "bfloat16" or kind not in ("nf4", "int8"):
            continue
        p = cu.plan(folder, "T4", seq_len=64)
        names = [lv.name for lv in p.levers]
        assert names == ["as stored", "smaller model", "bigger GPU"], names
        stored = p.choice
        assert stored.name == "as stored" and "quantization_config" not in stored.load_kwargs
        assert "as stored" in str(p) and "8-bit" not in str(p) and "4-bit (nf4)" not in str(p)
        loaded = cu.load_model(folder, plan=p)
        assert loaded.report.bytes_held == stored.estimate.weights_bytes, (kind, loaded.report)
        assert "BitsAndBytesConfig" not in p.load_call()
