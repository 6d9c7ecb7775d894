"""The fast subset of the memory sweep (issue 32; the whole sweep is make bench-memory-sweep):
tiny random models of a dozen common types, and one type per cause the estimator once missed,
built, saved and loaded back for real in fp32, bf16, nf4 and int8; each figure must be the bytes
held to the byte, and the KV cache after a real generate within 1%."""

from __future__ import annotations

import json

import pytest

from tests import sweep

COMMON = ["llama", "qwen2", "qwen3_moe", "mistral", "gemma3", "phi3", "deepseek_v3", "mamba",
          "jamba", "falcon_h1", "gpt_oss", "olmo2"]  # fmt: skip
# one type per cause of issue 32, each tested against its real load
CAUSES = {
    "llama4": "a composite config: the causal-LM class is built from its text config",
    "gpt_neo": "a bool buffer (the causal mask): its width from dtype.itemsize",
    "bamba": 'a config.json with {"__float__": "Infinity"} (time_step_limit), read as transformers '
    "reads it",
    "prophetnet": "num_hidden_layers is a property (num_decoder_layers)",
    "gemma3n_text": "bitsandbytes leaves the last entry of an untied named_parameters() alone",
}
# and what the KV column once missed, each against a real cache after generate
KV_CAUSES = {
    "qwen3_5": "linear-attention layers (Gated DeltaNet) keep a state, not keys and values",
    "gpt_bigcode": "multi_query: one KV head",
    "openai-gpt": "a forward without past_key_values caches nothing",
    "cpmant": "CPM-Ant caches its prompt_length learned tokens and sizes heads by dim_head",
}
TYPES = COMMON + list(CAUSES) + list(KV_CAUSES)


@pytest.fixture(scope="module")
def rows():
    types = sweep.causal_lm_types()
    return {t: sweep.run_type(t, types[t]) for t in TYPES}


@pytest.mark.parametrize("model_type", TYPES)
def test_every_precision_is_exact_to_the_byte(rows, model_type):
    row = rows[model_type]
    assert not row.skipped, row.skipped
    assert not {p: e for p, e in row.errors.items() if "kv" not in p}, row.errors
    for precision in sweep.PRECISIONS:
        assert row.exact(precision), (precision, row.held[precision], row.estimate[precision])


@pytest.mark.parametrize("model_type", TYPES)
def test_the_kv_cache_of_a_real_generate(rows, model_type):
    row = rows[model_type]
    assert "kv" not in row.errors and "kv (generate)" not in row.errors, row.errors
    assert row.kv_ok(), (row.kv_held, row.kv_estimate)
    if model_type in ("mamba", "openai-gpt"):  # no keys and values kept
        assert row.kv_held == row.kv_estimate == 0
    else:
        assert row.kv_held > 0


def test_the_causes_are_present_in_what_was_built(tmp_path):
    """The subset tests each cause only if the tiny model really has it."""
    import torch
    import transformers

    types = sweep.causal_lm_types()
    neo = transformers.AutoModelForCausalLM.from_config(
        sweep.tiny_config("gpt_neo", types["gpt_neo"])
    )
    assert any(b.dtype == torch.bool for b in neo.buffers())
    config = sweep.tiny_config("bamba", types["bamba"])
    config.save_pretrained(tmp_path)
    assert '"__float__": "Infinity"' in (tmp_path / "config.json").read_text()
    assert sweep.tiny_config("llama4", types["llama4"]).sub_configs
    prophet = sweep.tiny_config("prophetnet", types["prophetnet"])
    assert isinstance(type(prophet).num_hidden_layers, property)
    assert "num_hidden_layers" not in json.loads(prophet.to_json_string())
    assert sweep.tiny_config("gemma3n_text", types["gemma3n_text"]).tie_word_embeddings
