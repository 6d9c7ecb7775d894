"""Stand-ins of Parts 5-7 (chat, image and audio models) against recorded real facts per repo.

Parts 1-4 models are in test_standin_fidelity.py (one block per model, same idea).

Each ``FACTS_<MODEL>`` dict holds facts read from the real repo's files on the Hub (the URL is
in ``source``): tokenizer and processor class names, special tokens, casing, label names and
the config numbers the notebooks print. The test loads the stand-in the way a notebook does and
compares. A fact that differs means a notebook's output would differ on Colab.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("COURSE_REAL_HUB") == "1", reason="real Hub run")

# --- Parts 5-7 models ---------------------------------------------------------------------

FACTS_SMOLLM2 = {
    "repo_id": "HuggingFaceTB/SmolLM2-135M-Instruct",
    "source": "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct/blob/main/"
    "tokenizer_config.json (and config.json)",
    "tokenizer_class": "GPT2Tokenizer",  # tokenizer_config.json "tokenizer_class"
    "algorithm": "BPE",
    "bos_token": "<|im_start|>",
    "eos_token": "<|im_end|>",
    "pad_token": "<|im_end|>",
    "unk_token": "<|endoftext|>",
    "model_max_length": 8192,
    "lowercases": False,
    "vocab_size": 49152,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "default_system_prompt": "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
}

FACTS_QWEN2_5_0_5B = {
    "repo_id": "Qwen/Qwen2.5-0.5B-Instruct",
    "source": "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/blob/main/"
    "tokenizer_config.json (and generation_config.json)",
    "tokenizer_class": "Qwen2Tokenizer",
    "algorithm": "BPE",
    "bos_token": None,
    "eos_token": "<|im_end|>",
    "pad_token": "<|endoftext|>",
    "unk_token": None,
    "model_max_length": 131072,
    "lowercases": False,
    "default_system_prompt": "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
    # generation_config.json: sampling is on by default, with a mild repetition penalty
    "generation": {
        "do_sample": True,
        "temperature": 0.7,
        "top_p": 0.8,
        "top_k": 20,
        "repetition_penalty": 1.05,
    },
}

FACTS_VIT = {
    "repo_id": "google/vit-base-patch16-224",
    "source": "https://huggingface.co/google/vit-base-patch16-224/blob/main/"
    "preprocessor_config.json (and config.json)",
    # AutoImageProcessor's class: ViTImageProcessor with torchvision (Colab), the Pillow
    # fallback without it (this venv); both come from the same preprocessor_config.json.
    "processor_class": {"ViTImageProcessor", "ViTImageProcessorPil"},
    "size": (224, 224),
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "rescale_factor": 1 / 255,
    "image_size": 224,
    "patch_size": 16,
    "num_labels": 1000,
}

FACTS_WHISPER_TINY = {
    "repo_id": "openai/whisper-tiny",
    "source": "https://huggingface.co/openai/whisper-tiny/blob/main/"
    "tokenizer_config.json, preprocessor_config.json",
    "tokenizer_class": "WhisperTokenizer",
    "processor_class": "WhisperProcessor",
    "feature_extractor_class": "WhisperFeatureExtractor",
    "eos_token": "<|endoftext|>",
    "special_tokens": [
        "<|startoftranscript|>",
        "<|en|>",
        "<|transcribe|>",
        "<|translate|>",
        "<|notimestamps|>",
    ],
    "sampling_rate": 16000,
    "feature_size": 80,
    "n_fft": 400,
    "hop_length": 160,
    "chunk_length": 30,
}


def _tokenizer_facts(repo_id: str) -> dict:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(repo_id)
    template = tok.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    return {
        "tokenizer_class": type(tok).__name__,
        "algorithm": type(tok.backend_tokenizer.model).__name__,
        "bos_token": tok.bos_token,
        "eos_token": tok.eos_token,
        "pad_token": tok.pad_token,
        "unk_token": tok.unk_token,
        "model_max_length": tok.model_max_length,
        "lowercases": tok.decode(tok("Paris")["input_ids"], skip_special_tokens=True).strip()
        != "Paris",
        "vocab_size": len(tok),
        "system_prompt": template,
    }


@pytest.mark.parametrize("facts", [FACTS_SMOLLM2, FACTS_QWEN2_5_0_5B], ids=lambda f: f["repo_id"])
def test_chat_tokenizer_matches_the_real_one(facts):
    seen = _tokenizer_facts(facts["repo_id"])
    for key in (
        "tokenizer_class",
        "algorithm",
        "bos_token",
        "eos_token",
        "pad_token",
        "unk_token",
        "model_max_length",
        "lowercases",
    ):
        assert seen[key] == facts[key], (key, seen[key], facts[key])
    assert facts["default_system_prompt"] in seen["system_prompt"]
    if "vocab_size" in facts:
        assert seen["vocab_size"] == facts["vocab_size"]


def test_smollm2_config_matches_the_real_one():
    from transformers import AutoConfig

    cfg = AutoConfig.from_pretrained(FACTS_SMOLLM2["repo_id"])
    for key in ("num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size"):
        assert getattr(cfg, key) == FACTS_SMOLLM2[key], key


def test_qwen_generation_config_matches_the_real_one():
    from transformers import GenerationConfig

    gen = GenerationConfig.from_pretrained(FACTS_QWEN2_5_0_5B["repo_id"])
    for key, value in FACTS_QWEN2_5_0_5B["generation"].items():
        assert getattr(gen, key) == value, key


def test_vit_processor_matches_the_real_one():
    from transformers import AutoConfig, AutoImageProcessor

    proc = AutoImageProcessor.from_pretrained(FACTS_VIT["repo_id"])
    assert type(proc).__name__ in FACTS_VIT["processor_class"]
    assert (proc.size.height, proc.size.width) == FACTS_VIT["size"]
    assert list(proc.image_mean) == FACTS_VIT["image_mean"]
    assert list(proc.image_std) == FACTS_VIT["image_std"]
    assert proc.rescale_factor == pytest.approx(FACTS_VIT["rescale_factor"])
    cfg = AutoConfig.from_pretrained(FACTS_VIT["repo_id"])
    assert (cfg.image_size, cfg.patch_size, cfg.num_labels) == (
        FACTS_VIT["image_size"],
        FACTS_VIT["patch_size"],
        FACTS_VIT["num_labels"],
    )


def test_whisper_processor_matches_the_real_one():
    from transformers import AutoProcessor

    proc = AutoProcessor.from_pretrained(FACTS_WHISPER_TINY["repo_id"])
    assert type(proc).__name__ == FACTS_WHISPER_TINY["processor_class"]
    assert type(proc.tokenizer).__name__ == FACTS_WHISPER_TINY["tokenizer_class"]
    fe = proc.feature_extractor
    assert type(fe).__name__ == FACTS_WHISPER_TINY["feature_extractor_class"]
    for key in ("sampling_rate", "feature_size", "n_fft", "hop_length", "chunk_length"):
        assert getattr(fe, key) == FACTS_WHISPER_TINY[key], key
    assert proc.tokenizer.eos_token == FACTS_WHISPER_TINY["eos_token"]
    unk = proc.tokenizer.unk_token_id
    for token in FACTS_WHISPER_TINY["special_tokens"]:
        assert proc.tokenizer.convert_tokens_to_ids(token) != unk, token
