"""The last hostile inputs of issue 28, one table per class: each gets a CourseError that says
what is wrong and what to do next (the message is part of the test), within a few seconds."""

from __future__ import annotations

import time

import pytest

import course_utils as cu
from course_utils.errors import BadInputError, CourseError, NoGPUError, UnsafeCheckpointError
from course_utils.loaded import Loaded, LoadReport
from tests.fakes import tiny_llama_folder

BASE = dict(model_type="llama", vocab_size=128, hidden_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, intermediate_size=128)  # fmt: skip


# 1. configs with impossible values: refused at the door (validate.config_sizes), naming the field
@pytest.mark.parametrize(
    ("change", "message"),
    [({"num_key_value_heads": 0}, "num_key_value_heads=0, and a model's num_key_value_heads is "
                                  "a whole number of 1 or more: fix it there"),
     ({"num_attention_heads": 0}, "num_attention_heads=0"),
     ({"hidden_size": -4096}, "hidden_size=-4096"),
     ({"hidden_size": "4096"}, "write it as a number, without quotes: hidden_size=4096"),
     ({"num_hidden_layers": -2}, "num_hidden_layers=-2"),
     ({"num_hidden_layers": 2.5}, "num_hidden_layers=2.5"),
     ({"head_dim": True}, "head_dim=True"),
     ({"text_config": {"hidden_size": 0}}, r"\(text_config\) has hidden_size=0")],
)  # fmt: skip
@pytest.mark.parametrize(
    "helper",
    [lambda c: cu.estimate_memory(c, seq_len=16), lambda c: cu.kv_cache_bytes(c, 16),
     lambda c: cu.plan(c), lambda c: cu.fits(c)],
    ids=["estimate_memory", "kv_cache_bytes", "plan", "fits"],
)  # fmt: skip
def test_impossible_config_values(helper, change, message):
    with pytest.raises(BadInputError, match=message):
        helper({**BASE, **change})


def test_a_config_object_and_a_config_json_are_checked_too(tmp_path):
    import transformers

    config = transformers.LlamaConfig(**{k: v for k, v in BASE.items() if k != "model_type"})
    config.num_key_value_heads = 0  # set after construction, as a learner experimenting would
    with pytest.raises(BadInputError, match="This config has num_key_value_heads=0"):
        cu.estimate_memory(config, seq_len=16)
    (tmp_path / "config.json").write_text('{"model_type": "llama", "hidden_size": -64, '
                                          '"num_hidden_layers": 2}')  # fmt: skip
    with pytest.raises(BadInputError, match="config.json has hidden_size=-64"):
        cu.estimate_memory(tmp_path)


# 2. arguments of the wrong type: checked before pathlib or the Hub client sees them
_NOT_A_MODEL = "Pass the model as a Hub id such as"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [(lambda: cu.license_info(123), BadInputError, _NOT_A_MODEL + r".*not 123\."),
     (lambda: cu.check_license(["a/b"]), BadInputError, _NOT_A_MODEL + r".*not \['a/b'\]"),
     (lambda: cu.license_info("a/" + "b" * 300), BadInputError, "302 characters long"),
     (lambda: cu.card_summary("a/" + "b" * 300), BadInputError, "96 at most"),
     (lambda: cu.license_info(""), BadInputError, _NOT_A_MODEL + ".*not ''"),
     (lambda: cu.card_summary(""), BadInputError, _NOT_A_MODEL),
     (lambda: cu.card_summary(None), BadInputError, _NOT_A_MODEL),
     (lambda: cu.estimate_memory("1.5"), BadInputError,
      r"'1.5' is not a whole number of parameters. For 1.5 billion write '1.5B'"),
     (lambda: cu.estimate_memory(1.5), BadInputError, "whole number")],
)  # fmt: skip
def test_arguments_of_the_wrong_type(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_counts_written_as_text_still_work():
    assert cu.estimate_memory("1.5B").params == 1_500_000_000
    assert cu.estimate_memory("7e9").params == cu.estimate_memory("7,000,000,000").params


# 3. a README of one 30,000-character line of '#' (the heading search backtracked for > 30 s)
@pytest.mark.parametrize(
    "readme", ["#" * 30_000, "#" * 30_000 + "\n## Intended use\n\nChat.\n", "# " + "x " * 15_000,
               "`" * 30_000, "\n" * 30_000],
    ids=["hashes", "hashes-then-heading", "long-heading", "backticks", "newlines"],
)  # fmt: skip
def test_a_hostile_readme_is_read_quickly(tmp_path, readme):
    tiny_llama_folder(tmp_path / "m")
    (tmp_path / "m" / "README.md").write_text(readme)
    start = time.perf_counter()
    summary = cu.card_summary(tmp_path / "m")
    assert time.perf_counter() - start < 2.0
    assert summary.intended_use == ("Chat." if "Intended use" in readme else None)


# 4. loading
def test_a_stray_safetensors_file_does_not_hide_a_pickle_checkpoint(tmp_path):
    import torch
    from safetensors.torch import save_file

    folder = tiny_llama_folder(tmp_path / "old", pickle_only=True)
    save_file({"lora_A": torch.zeros(2, 2)}, folder / "adapter_model.safetensors")
    stray = (
        "adapter_model.safetensors here is not the model's: transformers reads model.safetensors"
    )
    with pytest.raises(UnsafeCheckpointError, match=f"{stray}.*allow_pickle=True"):
        cu.load_model(folder, check_memory=False)
    loaded = cu.load_model(folder, allow_pickle=True, check_memory=False)  # a real load
    assert type(loaded.model).__name__ == "LlamaForCausalLM"


@pytest.mark.parametrize(
    "device_map", [{"": "cuda"}, {"": 0}, {"model": "cuda:0", "lm_head": "cpu"}]
)
def test_a_device_map_dict_asking_for_a_gpu_on_a_cpu_runtime(tmp_path, device_map):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this runtime has a GPU")
    said = r"device_map=\{.*\} places modules on a GPU, and this runtime has none. On Colab: "
    with pytest.raises(NoGPUError, match=said + "Runtime > Change runtime type > T4 GPU"):
        cu.load_model(tmp_path, device_map=device_map)


def test_a_device_map_dict_with_a_place_that_is_none():
    with pytest.raises(BadInputError, match="places a module on None"):
        cu.load_model("gpt2", device_map={"": None})


class _Tokenizer:  # generate() checks its prompt before the tokenizer reads it
    pad_token_id = eos_token_id = 0

    def decode(self, ids, **kw):
        return ""


@pytest.mark.parametrize("prompt", [None, 123, ["hi"], {"role": "user"}])
def test_generate_takes_text(prompt):
    report = LoadReport("m", "AutoModelForCausalLM", "float32", None, 0, {}, None, 0.0)
    loaded = Loaded(None, _Tokenizer(), report)
    with pytest.raises(BadInputError, match=r"generate\(\) takes the prompt as text, such as "):
        loaded.generate(prompt)
    with pytest.raises(BadInputError, match="max_new_tokens must be"):
        loaded.generate("hi", max_new_tokens=0)


@pytest.mark.parametrize("name", ["model.gguf", "Q4_K_M.GGUF", "model.bin"])
def test_a_weights_file_given_to_estimate_memory(tmp_path, name):
    (tmp_path / name).write_bytes(b"GGUF\x03\x00")
    kind = "a GGUF file" if name.lower().endswith(".gguf") else "a file"
    with pytest.raises(BadInputError, match=f"is {kind}.*not a model folder or config.json.*"
                       "Pass the Hub id of the model it was made from"):  # fmt: skip
        cu.estimate_memory(str(tmp_path / name), "nf4")


# 5. widgets: the names fits understands, and errors as messages
@pytest.mark.parametrize(("gpu", "shown"), [("H100 80GB", "H100"), ("Tesla T4", "T4"),
                                            ("NVIDIA A100-SXM4-80GB", "A100-80GB")])  # fmt: skip
def test_calculator_takes_every_gpu_name_fits_takes(gpu, shown):
    ui = cu.memory_calculator("7B", gpu=gpu)
    assert ui.controls["gpu"].value == shown
    assert cu.fits("7B", gpu) is cu.fits("7B", shown)


def test_calculator_refuses_an_unknown_gpu_by_name():
    with pytest.raises(BadInputError, match="Unknown GPU 'Voodoo'. Use one of"):
        cu.memory_calculator(gpu="Voodoo")


@pytest.mark.parametrize(
    ("model", "message"),
    [("1e400", "A parameter count must be a finite number"),
     ("binary", "is not UTF-8 text.*Re-download it, or save the model again"),
     ("1.5", "not a whole number of parameters")],
)  # fmt: skip
def test_calculator_says_what_is_wrong(tmp_path, model, message):
    import re

    if model == "binary":
        (tmp_path / "config.json").write_bytes(bytes(range(256)) * 4)
        model = str(tmp_path)
    ui = cu.memory_calculator(model)
    assert re.search(message, ui.verdict.value.replace("&#x27;", "'")), ui.verdict.value
    assert ui.image.layout.display == "none"


# 6. messages that sent the learner the wrong way
@pytest.mark.parametrize("model_id", ["../../etc", "/etc/passwd", "a b", "owner/name/extra", ""])
def test_check_access_refuses_what_is_no_hub_id(model_id):
    with pytest.raises(CourseError) as info:
        cu.check_access(model_id)
    assert "huggingface.co/" not in str(info.value)  # no terms page to accept for it
    assert "Hub id" in str(info.value)


@pytest.mark.parametrize("gpu", [10**400, float("inf"), -1, 0, float("nan"), "80GB?", None])
def test_gpu_sizes_that_are_no_size(gpu):
    with pytest.raises(
        BadInputError, match="is no GPU memory: give a card from cu.GPUS such as 'T4'|Unknown GPU"
    ):
        cu.fits("7B", gpu)
    with pytest.raises(BadInputError):
        cu.plan("7B", gpu)


def test_every_message_here_names_a_next_step():
    """The messages above each say what to do: a sample of them, read whole."""
    calls = [lambda: cu.estimate_memory({**BASE, "num_attention_heads": 0}),
             lambda: cu.license_info(123), lambda: cu.estimate_memory("1.5"),
             lambda: cu.check_access("../../etc")]  # fmt: skip
    for call in calls:
        with pytest.raises(CourseError) as info:
            call()
        text = str(info.value)
        assert any(w in text for w in ("fix it", "Copy the id", "write", "Pass")), text
        assert len(text) < 400 and "Traceback" not in text
