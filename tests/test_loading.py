"""course_utils.loading: preflight errors, tiny checkpoints in tmp folders, stand-in pipelines,
and the real SmolLM2-135M-Instruct in bf16, 8-bit and 4-bit on the CPU (offline stand-in Hub).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import torch
import transformers

import course_utils as cu
from course_utils import footprint, preflight
from course_utils._display import fmt_bytes
from course_utils.memory import estimate_memory
from tests.fakes import tiny_llama_folder

SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_llama_folder(tmp_path_factory.mktemp("tiny") / "llama")


# --- preflight errors: every one a CourseError, raised before anything is loaded ------------


def test_unknown_quantization_dtype_task_and_remote_code(tiny):
    with pytest.raises(cu.BadInputError, match="'8bit' or '4bit'"):
        cu.load_model(tiny, quantize="3bit")
    with pytest.raises(cu.BadInputError, match="bfloat16"):
        cu.load_model(tiny, dtype="int3")
    with pytest.raises(cu.BadInputError, match="text-generation"):
        cu.load_model(tiny, task="summarization")
    with pytest.raises(cu.BadInputError, match="4bit' only"):
        cu.load_model(tiny, quantize="8bit", double_quant=True)
    with pytest.raises(cu.BadInputError, match="never runs a repository's own code"):
        cu.load_model(tiny, trust_remote_code=True)


def test_unknown_ids_and_paths(tmp_path):
    with pytest.raises(cu.OfflineError, match="not in the local cache"):
        cu.load_model("nobody-here/no-such-model")
    with pytest.raises(cu.ModelNotFoundError, match="neither a folder"):
        cu.load_model(tmp_path / "missing")


def test_empty_folder_and_folder_without_weights(tmp_path):
    with pytest.raises(cu.ModelNotFoundError, match="is empty"):
        cu.load_model(tmp_path)
    (tmp_path / "config.json").write_text(
        '{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}'
    )
    with pytest.raises(cu.ModelNotFoundError, match="No weight files .* in the folder"):
        cu.load_model(tmp_path, check_memory=False)


def test_config_only_cache_entry_has_no_weights():
    # the stand-in caches only config.json and the card for this one, as a partial download would
    with pytest.raises(cu.ModelNotFoundError, match="No weight files .* in the cache"):
        cu.load_model("meta-llama/Llama-3.1-8B-Instruct", check_memory=False)


def test_pickle_only_checkpoint_needs_consent(tmp_path, capsys):
    folder = tiny_llama_folder(tmp_path / "old", pickle_only=True)
    with pytest.raises(cu.UnsafeCheckpointError, match="pytorch_model.bin.*allow_pickle=True"):
        cu.load_model(folder)
    loaded = cu.load_model(folder, allow_pickle=True)
    assert "pickle checkpoint" in " ".join(loaded.report.notes)
    assert isinstance(loaded.model, transformers.LlamaForCausalLM)


def test_missing_package_gives_the_install_line(tiny, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "bitsandbytes" else real(name, *a),
    )
    with pytest.raises(cu.MissingPackageError, match="%pip install -q bitsandbytes"):
        cu.load_model(tiny, quantize="4bit")


def test_a_model_too_big_for_this_machine_gets_the_plan():
    need = estimate_memory(70_553_706_496, "nf4").total_bytes  # a lower bound, instant
    if psutil.virtual_memory().available > need:
        pytest.skip("this machine has room for a 4-bit 70B model")
    with pytest.raises(cu.WontFitError, match="quantize='8bit'.*quantize='4bit'"):
        cu.load_model("meta-llama/Llama-3.1-70B-Instruct", quantize="4bit")


def test_out_of_memory_becomes_a_lever():
    with pytest.raises(cu.WontFitError, match="while loading. Next lever: quantize='8bit'"):
        with footprint.oom_guard("loading", footprint.next_lever(torch.bfloat16, None)):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    assert footprint.next_lever(torch.float32, None).startswith("half precision")
    assert footprint.next_lever("float16", "int8") == "quantize='4bit'"
    with pytest.raises(ValueError):  # other errors pass through untouched
        with footprint.oom_guard("loading", "x"):
            raise ValueError("not memory")


@pytest.mark.parametrize(
    "architectures, task, expected",
    [
        (["LlamaForCausalLM"], None, "AutoModelForCausalLM"),
        (["DistilBertForSequenceClassification"], None, "AutoModelForSequenceClassification"),
        (["BertForTokenClassification"], None, "AutoModelForTokenClassification"),
        (["DistilBertForMaskedLM"], None, "AutoModelForMaskedLM"),
        (["ViTForImageClassification"], None, "AutoModelForImageClassification"),
        (["WhisperForConditionalGeneration"], None, "AutoModelForSpeechSeq2Seq"),
        (["Wav2Vec2ForCTC"], "automatic-speech-recognition", "AutoModelForCTC"),
        (["BertModel"], None, "AutoModel"),
        (["DistilBertForMaskedLM"], "feature-extraction", "AutoModel"),
        ([], "text-generation", "AutoModelForCausalLM"),
    ],
)
def test_auto_class_from_task_or_architecture(architectures, task, expected):
    assert preflight.auto_class({"architectures": architectures}, task) == expected


# --- loading tiny and stand-in models ---------------------------------------------------------


def test_folder_loads_unpacks_and_reports(tiny, capsys):
    loaded = cu.load_model(tiny, dtype="float32")
    model, tok = loaded
    assert isinstance(model, transformers.LlamaForCausalLM) and tok is None  # no tokenizer saved
    report = loaded.report
    assert "Preflight" in capsys.readouterr().out
    tensors = [*model.parameters(), *model.buffers()]  # buffers: the rotary inv_freq
    assert report.bytes_held == sum(t.numel() * t.element_size() for t in tensors)
    assert (
        report.bytes_held == report.estimate_bytes == estimate_memory(tiny, "float32").total_bytes
    )
    assert list(report.placement) == ["cpu"] and report.load_seconds > 0
    assert report.license.startswith("none stated (unknown)")
    assert "bytes held" in str(report) and "<table>" in loaded._repr_html_()


@pytest.mark.parametrize(
    "quantize, double_quant, estimate_as", [("4bit", True, "nf4"), ("8bit", False, "int8")]
)
def test_quantized_state_is_counted_to_the_byte(tiny, quantize, double_quant, estimate_as):
    loaded = cu.load_model(tiny, quantize=quantize, double_quant=double_quant, verbose=False)
    float_dtype = loaded.report.dtype
    assert float_dtype == {"4bit": "bfloat16", "8bit": "float16"}[quantize]
    expected = estimate_memory(
        tiny, estimate_as, double_quant=double_quant, compute_dtype=float_dtype
    )
    assert loaded.report.bytes_held == expected.total_bytes
    assert loaded.report.quantization == {"4bit": "nf4 + double quant", "8bit": "int8"}[quantize]


def _quant_state_bytes(model) -> int:
    """bitsandbytes' state beside each quantized weight, from its documented attributes."""
    total = 0
    for module in model.modules():
        weight = getattr(module, "weight", None)
        state = getattr(weight, "quant_state", None)
        if state is not None:  # Linear4bit: absmax + code, and with double quant its state2
            total += state.absmax.nbytes + state.code.nbytes
            if state.nested:
                total += state.state2.absmax.nbytes + state.state2.code.nbytes + state.offset.nbytes
        if getattr(weight, "SCB", None) is not None:  # Linear8bitLt: one fp32 scale per row
            total += weight.SCB.nbytes
    return total


@pytest.mark.parametrize("quantize", [None, "8bit", "4bit"])
def test_held_bytes_against_an_independent_count(tiny, quantize):
    loaded = cu.load_model(tiny, quantize=quantize, double_quant=quantize == "4bit", verbose=False)
    expected = loaded.model.get_memory_footprint() + _quant_state_bytes(loaded.model)
    assert footprint.held_bytes(loaded.model) == {"cpu": expected}
    assert (_quant_state_bytes(loaded.model) > 0) == (quantize is not None)


FREE_MEMORY = """
import sys
import course_utils as cu
tiny = sys.argv[1]
model, _ = cu.load_model(tiny, dtype="float32", verbose=False)
assert any(tiny in m for m in cu.free_memory().models)
del model
status = cu.free_memory()
assert not any(tiny in m for m in status.models), status.models
assert "No model (from cu.load_model or from_pretrained) is still referenced" in str(status), status
"""


def test_free_memory_names_what_is_still_referenced(tiny):
    """In a fresh interpreter: the all-clear is about every model in the process, and a test that
    ran before in this one may hold a model still (part9.q4's check of app.py keeps its fill-mask
    pipeline)."""
    done = subprocess.run(
        [sys.executable, "-c", FREE_MEMORY, str(tiny)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_free_memory_finds_a_model_loaded_with_plain_from_pretrained():
    """The real SmolLM2-135M, loaded without course_utils: free_memory names it and its size."""

    def smollm2_held() -> list[str]:
        return [m for m in cu.free_memory().models if m.startswith(SMOLLM2)]

    before = smollm2_held()  # a fixture of this module may hold one too
    rss = psutil.Process().memory_info().rss
    model = transformers.AutoModelForCausalLM.from_pretrained(SMOLLM2, dtype=torch.float32)
    size = model.get_memory_footprint()  # transformers' own count
    assert size > 500 * 2**20  # 135M parameters in float32 (tied embeddings once)
    held = smollm2_held()
    assert held == [*before, f"{SMOLLM2} ({fmt_bytes(size)})"]  # once, not again for model.model
    grown = psutil.Process().memory_info().rss - rss
    del model
    assert smollm2_held() == before
    freed = grown - (psutil.Process().memory_info().rss - rss)
    print(f"RSS grew {grown / 2**20:.0f} MiB on load; {freed / 2**20:.0f} MiB back after del")


def test_processor_for_images_and_tokenizer_for_text():
    _, proc = cu.load_model("google/vit-base-patch16-224", verbose=False)
    assert hasattr(proc, "image_mean")  # an image processor, not a tokenizer
    model, tok = cu.load_model(
        "distilbert/distilbert-base-uncased", task="fill-mask", verbose=False
    )
    assert type(model).__name__ == "DistilBertForMaskedLM" and tok.mask_token == "[MASK]"


def test_load_pipeline_carries_the_report():
    pipe = cu.load_pipeline(
        "sentiment-analysis",
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        verbose=False,
    )
    (out,) = pipe("The course helpers explain every error.")
    assert out["label"] in {"NEGATIVE", "POSITIVE"}  # random stand-in weights: any label
    assert pipe.report.auto_class == "AutoModelForSequenceClassification"
    assert pipe.report.license.startswith("apache-2.0")


# --- the real SmolLM2-135M-Instruct, three precisions on the CPU ------------------------------


@pytest.fixture(scope="module", params=[None, "8bit", "4bit"])
def smollm2(request):
    # One thread: the suite runs three workers on two cores, and oversubscribed OpenMP threads
    # made generation 5x slower on the shared test machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    dtype = "bfloat16" if request.param is None else "auto"
    loaded = cu.load_model(SMOLLM2, quantize=request.param, dtype=dtype, verbose=False)
    yield request.param, loaded
    del loaded
    cu.free_memory()
    torch.set_num_threads(threads)


def test_smollm2_answers_paris_and_holds_what_was_estimated(smollm2):
    quantize, loaded = smollm2
    answer = loaded.generate("What is the capital of France?", max_new_tokens=10)
    assert "Paris" in answer
    report = loaded.report
    float_dtype = {"8bit": "float16"}.get(quantize, "bfloat16")
    estimate = estimate_memory(
        SMOLLM2,
        {"8bit": "int8", "4bit": "nf4"}.get(quantize, "bfloat16"),
        compute_dtype=float_dtype,
    )
    assert report.bytes_held == estimate.total_bytes == report.estimate_bytes
    assert report.dtype == float_dtype and report.placement == {"cpu": report.bytes_held}
    assert report.tokens_per_second > 0
    if quantize:  # bitsandbytes state is counted: more than parameters + buffers alone
        assert report.bytes_held > loaded.model.get_memory_footprint()
        assert "no CUDA GPU" in " ".join(report.notes)
    print(f"\n{quantize or 'bf16'}: {answer!r}\n{report}")


def test_a_cache_fallback_asks_for_no_network(monkeypatch):
    """Found only in the cache (offline, or the Hub did not answer): from_pretrained and the
    tokenizer get local_files_only=True, so nothing retries the network (issue 13)."""
    from course_utils import loading

    src = preflight.locate("Qwen/Qwen2.5-0.5B-Instruct")  # HF_HUB_OFFLINE=1: the cache
    assert src.origin == "in the cache"
    checked = loading._Checked(src, "float32", None, True, "AutoModelForCausalLM", "", None, [])
    assert loading._load_kwargs(checked, None, False, {})["local_files_only"] is True
    seen = {}
    monkeypatch.setattr(
        transformers.AutoTokenizer, "from_pretrained", lambda name, **kw: seen.update(kw)
    )
    loading._load_preprocessor(src)
    assert seen == {"local_files_only": True}
