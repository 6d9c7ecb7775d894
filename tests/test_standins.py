"""The offline stand-in Hub resolves every repo id the way the Hub would (conftest.py built it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from standins import BY_ID, STANDINS, hub_home

HUB = Path(os.environ.get("HF_HOME", "")) / "hub"
pytestmark = pytest.mark.skipif(os.environ.get("COURSE_REAL_HUB") == "1", reason="real Hub run")


def repo_dir(repo_id: str) -> Path:
    return HUB / ("models--" + repo_id.replace("/", "--"))


def test_session_points_at_the_built_hub():
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert Path(os.environ["HF_HOME"]) == hub_home()
    assert (hub_home() / "READY").exists()


@pytest.mark.parametrize("s", STANDINS, ids=lambda s: s.repo_id)
def test_refs_and_card(s):
    for rid in (s.repo_id, *s.aliases):
        refs = repo_dir(rid) / "refs"
        sha = (refs / "main").read_text()
        assert len(sha) == 40 and not sha.endswith("\n")  # a newline breaks hf_hub_download
        for ref in s.refs:
            assert (refs / ref).read_text() == sha
            assert sha.startswith(ref)  # a short revision abbreviates its commit, as on the Hub
        card = (repo_dir(rid) / "snapshots" / sha / "README.md").read_text()
        meta = yaml.safe_load(card.split("---")[1])
        assert meta["license"] == s.card["license"]
        assert ("extra_gated_prompt" in meta) == ("extra_gated_prompt" in s.card)


@pytest.mark.parametrize(
    "s", [s for s in STANDINS if s.kind != "card_only"], ids=lambda s: s.repo_id
)
def test_config_resolves_offline(s):
    from huggingface_hub import hf_hub_download
    from transformers import AutoConfig

    assert Path(hf_hub_download(s.repo_id, "config.json")).is_file()
    assert AutoConfig.from_pretrained(s.repo_id).model_type


def test_model_card_loads_offline():
    from huggingface_hub import ModelCard

    card = ModelCard.load("meta-llama/Llama-3.1-8B-Instruct")
    assert card.data.license == "llama3.1"
    assert "extra_gated_fields" in card.data.to_dict()


def test_pipeline_default_revision_resolves():
    """pipeline("sentiment-analysis") with no model pins a short revision of the sst-2 model."""
    from transformers import pipeline

    clf = pipeline("sentiment-analysis")
    out = clf("A fine day.")[0]
    assert out["label"] in {"POSITIVE", "NEGATIVE"} and 0 <= out["score"] <= 1


def test_real_smollm2_answers():
    """The converted GGUF weights are real: greedy decoding knows the capital of France."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    rid = "HuggingFaceTB/SmolLM2-135M-Instruct"
    tok = AutoTokenizer.from_pretrained(rid)
    model = AutoModelForCausalLM.from_pretrained(rid)
    ids = tok.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**ids, max_new_tokens=12, do_sample=False)
    assert "Paris" in tok.decode(out[0, ids["input_ids"].shape[1] :])


def test_unknown_repo_fails_fast_offline():
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    with pytest.raises(LocalEntryNotFoundError):
        hf_hub_download("nobody/does-not-exist", "config.json")


def test_ids_are_unique():
    assert len(BY_ID) == len(STANDINS)
