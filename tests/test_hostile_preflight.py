"""Hostile load_model / load_pipeline requests (course_utils.preflight): refused before loading."""

from __future__ import annotations

import json

import pytest

import course_utils as cu
from course_utils import preflight
from course_utils.errors import BadInputError, NoGPUError
from tests.fakes import tiny_llama_folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_llama_folder(tmp_path_factory.mktemp("tiny") / "llama")


LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama"}
BERT_MLM = {"architectures": ["BertForMaskedLM"], "model_type": "bert"}
VIT = {"architectures": ["ViTForImageClassification"], "model_type": "vit"}


@pytest.mark.parametrize(
    ("config", "task"),
    [(LLAMA, "text-classification"), (LLAMA, "fill-mask"), (LLAMA, "image-classification"),
     (BERT_MLM, "text-generation"), (BERT_MLM, "sentiment-analysis"), (VIT, "text-generation"),
     (VIT, "automatic-speech-recognition")],
)  # fmt: skip
def test_a_task_the_architecture_has_no_head_for(config, task):
    with pytest.raises(BadInputError, match="no trained head") as info:
        preflight.auto_class(config, task, "someone/model")
    assert "feature-extraction" in str(info.value)  # the tasks it serves are listed


@pytest.mark.parametrize(
    ("config", "task", "cls"),
    [(LLAMA, "text-generation", "AutoModelForCausalLM"), (LLAMA, "feature-extraction", "AutoModel"),
     (BERT_MLM, "fill-mask", "AutoModelForMaskedLM"),
     (VIT, None, "AutoModelForImageClassification"),
     (LLAMA, None, "AutoModelForCausalLM"), ({}, "fill-mask", "AutoModelForMaskedLM"),
     ({"architectures": "oops"}, None, "AutoModel")],
)  # fmt: skip
def test_tasks_the_architecture_serves(config, task, cls):
    assert preflight.auto_class(config, task) == cls


def test_load_pipeline_refuses_a_causal_lm_for_classification(tiny):
    refusal = r"llama is a LlamaForCausalLM.*serves: .*text-generation\."
    with pytest.raises(BadInputError, match=refusal):
        cu.load_pipeline("text-classification", tiny, verbose=False)


def test_repository_code_is_refused_with_the_reason():
    config = {"architectures": ["MyNetForCausalLM"], "model_type": "mynet",
              "auto_map": {"AutoModelForCausalLM": "modeling_mynet.MyNetForCausalLM"}}  # fmt: skip
    with pytest.raises(BadInputError, match="auto_map.*never runs it"):
        preflight.auto_class(config, None, "someone/mynet")


def test_auto_map_on_a_native_model_type_is_fine():
    assert preflight.auto_class({**LLAMA, "auto_map": {"x": "y"}}, None) == "AutoModelForCausalLM"


def test_load_model_refuses_a_folder_with_auto_map(tmp_path):
    folder = tiny_llama_folder(tmp_path / "llama")
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type="mynet", auto_map={"AutoModel": "m.M"})
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(cu.CourseError, match="auto_map|mynet"):
        cu.load_model(folder, verbose=False, check_memory=False)


def test_a_truncated_config_in_a_folder(tmp_path):
    folder = tiny_llama_folder(tmp_path / "llama")
    (folder / "config.json").write_text('{"model_type": "lla')
    with pytest.raises(BadInputError, match="not valid JSON"):
        cu.load_model(folder, verbose=False)


def check(model="gpt2", quantize=None, dtype="auto", device_map=None, **kwargs):
    return preflight.check_arguments(model, quantize, dtype, device_map, kwargs)


@pytest.mark.parametrize("quantize", [["4bit"], 4, True, {"4bit"}])
def test_quantize_takes_one_value(quantize):
    with pytest.raises(BadInputError, match="one value"):
        check(quantize=quantize)


def test_torch_dtype_maps_onto_dtype():
    assert check(torch_dtype="float16") == "float16"
    assert check(dtype="fp16", torch_dtype="float16") == "float16"
    with pytest.raises(BadInputError, match="disagree"):
        check(dtype="bfloat16", torch_dtype="float32")


@pytest.mark.parametrize("kwargs", [{"lod_in_4bit": True}, {"temprature": 0.7}, {"devicemap": 1}])
def test_unknown_keywords_are_named(kwargs):
    with pytest.raises(BadInputError, match=repr(next(iter(kwargs)))):
        check(**kwargs)


def test_known_keywords_pass():
    assert check(revision="main", attn_implementation="sdpa") == "auto"


@pytest.mark.parametrize("model", [None, 123, "", "a" * 500])
def test_bad_models(model):
    with pytest.raises(BadInputError):
        check(model=model)


@pytest.mark.parametrize("device_map", ["gpu", "cuda:7"])
def test_gpu_device_maps_on_a_cpu_runtime(device_map, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(NoGPUError, match="Runtime > Change runtime type"):
        check(device_map=device_map)


# --- the same arguments through load_model itself (check_arguments is wired in) ---------------


@pytest.mark.parametrize("model", [None, 123, "", "   ", "a" * 500, "no such/../id"])
def test_load_model_refuses_what_is_not_a_model(model):
    with pytest.raises(cu.CourseError, match="Hub (model )?id"):
        cu.load_model(model, verbose=False)


def test_load_model_names_an_unknown_keyword(tiny):
    with pytest.raises(BadInputError, match="does not know 'temprature'"):
        cu.load_model(tiny, temprature=0.7, verbose=False)


@pytest.mark.parametrize("quantize", [["4bit"], 4])
def test_load_model_quantize_takes_one_value(tiny, quantize):
    with pytest.raises(BadInputError, match="one value"):
        cu.load_model(tiny, quantize=quantize, verbose=False)


def test_load_model_device_map_gpu_on_a_cpu_runtime(tiny, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for device_map in ("cuda:7", "gpu"):
        with pytest.raises(NoGPUError, match="Runtime > Change runtime type"):
            cu.load_model(tiny, device_map=device_map, verbose=False)


def test_load_model_honours_torch_dtype(tiny):
    import torch

    loaded = cu.load_model(tiny, torch_dtype="float16", verbose=False, check_memory=False)
    assert loaded.model.dtype == torch.float16 and loaded.report.dtype == "float16"
