"""Hostile arguments at the door (course_utils.validate): a clear CourseError or the right value."""

from __future__ import annotations

import math

import pytest

from course_utils import validate
from course_utils.errors import BadInputError, CourseError, ModelNotFoundError, NoGPUError
from course_utils.gpu import GPUS


@pytest.mark.parametrize("model", [None, 123, 1.5, True, "", "   ", b"gpt2", ["gpt2"], {}])
def test_model_of_the_wrong_kind(model):
    with pytest.raises(BadInputError, match="Hub id such as"):
        validate.model_ref(model)


@pytest.mark.parametrize(
    "model",
    ["a" * 500, "x/" * 300, "owner/name/extra", "owner//name", "bad id", "owner/na--me",
     "owner/name.git", "-owner/name", "ö/name"],
)  # fmt: skip
def test_ids_not_of_the_hubs_form(model):
    with pytest.raises(BadInputError, match="neither a folder here nor a Hub model id") as info:
        validate.model_ref(model)
    assert len(str(info.value)) < 400  # a 500-character id is not echoed in full


def test_a_long_id_says_how_long():
    with pytest.raises(BadInputError, match="500 characters long"):
        validate.model_ref("a" * 500)


@pytest.mark.parametrize("model", ["gpt2", "HuggingFaceTB/SmolLM2-135M-Instruct", " gpt2 "])
def test_hub_ids_pass(model):
    assert validate.model_ref(model) == model.strip()


def test_a_folder_passes_as_a_path(tmp_path):
    assert validate.model_ref(str(tmp_path)) == tmp_path
    assert validate.model_ref(tmp_path) == tmp_path


def test_a_missing_path_object_is_not_found(tmp_path):
    with pytest.raises(ModelNotFoundError, match="neither a folder here"):
        validate.model_ref(tmp_path / "missing")
    for path in ("./my-model", "../../etc/passwd", "~/nothing-here", str(tmp_path / "x")):
        with pytest.raises(ModelNotFoundError, match="Check the path"):
            validate.model_ref(path)


@pytest.mark.parametrize(
    ("reader", "typed", "name"),
    [(validate.dtype, "fp16", "float16"), (validate.dtype, "BF16", "bfloat16"),
     (validate.dtype, "4bit", "nf4"), (validate.task, "text-generation", "text-generation"),
     (validate.task, " Fill_Mask", "fill-mask")],
)  # fmt: skip
def test_names_in_any_spelling(reader, typed, name):
    assert reader(typed) == name


@pytest.mark.parametrize(
    ("reader", "typed", "listed"),
    [*[(validate.dtype, t, "Accepted") for t in ["float64", "", None, 16, "fp 16"]],
     *[(validate.task, t, "text-generation")
       for t in ["text-generator", "", None, 3, "summarisation"]]],
)  # fmt: skip
def test_unknown_names_list_the_known_ones(reader, typed, listed):
    with pytest.raises(BadInputError, match=listed):
        reader(typed)


@pytest.mark.parametrize(
    ("typed", "card"),
    [("NVIDIA H100 80GB HBM3", "H100"), ("Tesla T4", "T4"), ("NVIDIA A100-SXM4-80GB", "A100-80GB"),
     ("NVIDIA L4", "L4"), ("NVIDIA A100-PCIE-40GB", "A100-40GB"),
     ("NVIDIA GeForce RTX 4090", "RTX 4090"), ("t4", "T4")],
)  # fmt: skip
def test_gpu_names_as_torch_reports_them(typed, card):
    assert validate.gpu(typed) is GPUS[card]


@pytest.mark.parametrize("typed", [12, 15.5])
def test_gpu_as_gib(typed):
    assert validate.gpu(typed) == typed


@pytest.mark.parametrize("typed", [0, -4, math.nan, math.inf, 10**400, True, None, "Voodoo", ""])
def test_bad_gpus(typed):
    with pytest.raises(BadInputError):
        validate.gpu(typed)


@pytest.mark.parametrize("value", [10**400, "1e400", math.nan, math.inf, -math.inf, "nan", -1,
                                   "", "many", None, True, [4], 2.5, 10**16])  # fmt: skip
def test_lengths_refused(value):
    with pytest.raises(BadInputError, match="seq_len"):
        validate.length(value)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 0), (4096, 4096), (4096.0, 4096), ("512", 512)]
)
def test_lengths_accepted(value, expected):
    assert validate.length(value) == expected and type(validate.length(value)) is int


@pytest.mark.parametrize("value", [0, -8, 0.5])
def test_counts_start_at_one(value):
    with pytest.raises(BadInputError, match="batch_size"):
        validate.count(value)


def test_a_huge_count_is_refused_not_overflowed():
    with pytest.raises(BadInputError, match="finite number"):
        validate.number(10**400, "parameters", integer=False)


@pytest.mark.parametrize("value", [None, "auto", "cpu", {"": "cpu"}])
def test_device_maps_every_runtime_has(value):
    assert validate.device_map(value) == value


@pytest.mark.parametrize("value", ["gpu", "cuda", "cuda:7", "0"])
def test_gpu_device_maps_on_a_cpu_runtime(value, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(NoGPUError, match="Change runtime type"):
        validate.device_map(value)


@pytest.mark.parametrize("value", ["gpu", "cuda:7"])
def test_gpu_device_maps_a_one_gpu_runtime_lacks(value, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(BadInputError, match="1 GPU"):
        validate.device_map(value)
    assert validate.device_map("cuda:0") == "cuda:0"


@pytest.mark.parametrize("value", ["balanced_lowest", "tpu", 3.5, ["cpu"], "cuda:x"])
def test_unknown_device_maps(value):
    with pytest.raises(BadInputError, match="'auto'"):
        validate.device_map(value)


def test_errors_are_course_errors():
    for call in (lambda: validate.model_ref(None), lambda: validate.length("1e400")):
        with pytest.raises(CourseError):
            call()


@pytest.mark.parametrize("seq_len", [float("nan"), float("inf"), 10**400, -1, 2.5, "1024", True])
def test_kv_cache_and_estimate_refuse_lengths_that_are_not_token_counts(seq_len):
    """Not ValueError / OverflowError from int(nan) or float(10**400): a course error."""
    import course_utils as cu

    config = {"model_type": "llama", "hidden_size": 512, "num_hidden_layers": 2,
              "num_attention_heads": 8, "num_key_value_heads": 8}  # fmt: skip
    with pytest.raises(BadInputError, match="seq_len must be a"):
        cu.kv_cache_bytes(config, seq_len)
    if not isinstance(seq_len, str):  # estimate_memory takes "1024" as the count it spells
        with pytest.raises(BadInputError, match="seq_len must be a"):
            cu.estimate_memory(7e9, seq_len=seq_len)
