"""course_utils.kv: the KV cache of each attention kind against a real ``past_key_values``."""

from __future__ import annotations

import pytest

import course_utils as cu
from course_utils.errors import BadInputError
from tests.fakes import DECODER, cache_bytes

SMALL = dict(vocab_size=256, hidden_size=128, num_hidden_layers=2, num_attention_heads=4)
# kind -> (model class, config class, config arguments)
KINDS = {
    "GQA (Qwen2)": ("Qwen2ForCausalLM", "Qwen2Config", DECODER),
    "MHA (GPT-2)": ("GPT2LMHeadModel", "GPT2Config",
                    dict(vocab_size=256, n_embd=128, n_layer=2, n_head=4)),
    "MQA (Falcon multi_query)": ("FalconForCausalLM", "FalconConfig",
                                 {**SMALL, "multi_query": True}),
    "GQA (Falcon num_kv_heads)": ("FalconForCausalLM", "FalconConfig",
                                  {**SMALL, "new_decoder_architecture": True, "num_kv_heads": 2}),
    "MLA (DeepSeek-V3)": ("DeepseekV3ForCausalLM", "DeepseekV3Config", {
        **SMALL, "intermediate_size": 256, "moe_intermediate_size": 64, "num_key_value_heads": 4,
        "kv_lora_rank": 32, "q_lora_rank": 64, "qk_rope_head_dim": 16, "qk_nope_head_dim": 32,
        "v_head_dim": 32, "n_routed_experts": 4, "num_experts_per_tok": 2,
        "first_k_dense_replace": 1, "n_group": 1, "topk_group": 1}),
    "sliding window (Mistral)": ("MistralForCausalLM", "MistralConfig",
                                 {**DECODER, "sliding_window": 4}),
    "hybrid (Gemma 2)": ("Gemma2ForCausalLM", "Gemma2Config",
                         {**DECODER, "head_dim": 32, "sliding_window": 4}),
}  # fmt: skip


def build(cls, config_cls, kw):
    import torch
    import transformers

    torch.manual_seed(0)
    config = getattr(transformers, config_cls)(**kw)
    return config, getattr(transformers, cls)(config).to(torch.bfloat16).eval()


@pytest.mark.parametrize("kind", KINDS)
def test_decoder_cache_matches_generate(kind):
    import torch

    config, model = build(*KINDS[kind])
    with torch.inference_mode():  # 10 prompt tokens + 5 new: 14 cached, past the windows of 4
        out = model.generate(
            torch.randint(0, 256, (3, 10)),
            max_new_tokens=5,
            min_new_tokens=5,
            do_sample=False,
            return_dict_in_generate=True,
            pad_token_id=0,
        )
    assert cu.kv_cache_bytes(config, 14, 3, "bf16") == cache_bytes(out.past_key_values), kind


def test_after_generate_the_cache_holds_one_token_fewer():
    import torch

    config, model = build(*KINDS["GQA (Qwen2)"])
    with torch.inference_mode():
        out = model.generate(torch.randint(0, 256, (1, 7)), max_new_tokens=5, do_sample=False,
                             return_dict_in_generate=True, pad_token_id=0)  # fmt: skip
    assert cu.kv_cache_bytes(config, 7 + 5 - 1, dtype="bf16") == cache_bytes(out.past_key_values)


def test_encoder_decoder_caches_cross_attention():
    import torch

    t5 = dict(vocab_size=256, d_model=128, d_kv=32, d_ff=256, num_layers=2, num_heads=4,
              decoder_start_token_id=0)  # fmt: skip
    config, model = build("T5ForConditionalGeneration", "T5Config", t5)
    with torch.inference_mode():
        out = model.generate(torch.randint(0, 256, (2, 9)), max_new_tokens=4, min_new_tokens=4,
                             do_sample=False, return_dict_in_generate=True)  # fmt: skip
    # the decoder starts with one token; 4 new ones, the last not cached: 4 tokens self-attention
    got = cache_bytes(out.past_key_values)
    assert cu.kv_cache_bytes(config, 4, 2, "bf16", encoder_len=9) == got


def test_whisper_cross_attention_is_over_the_audio_frames():
    import torch

    whisper = dict(vocab_size=256, d_model=128, encoder_layers=2, decoder_layers=2,
                   encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=256,
                   decoder_ffn_dim=256, num_mel_bins=16, max_source_positions=32,
                   max_target_positions=64, decoder_start_token_id=1, pad_token_id=0)  # fmt: skip
    config, model = build("WhisperForConditionalGeneration", "WhisperConfig", whisper)
    features = torch.randn(1, 16, 64, dtype=torch.bfloat16)  # 64 frames → 32 positions
    decoder = torch.tensor([[1, 5, 6]])
    with torch.inference_mode():
        cache = model(input_features=features, decoder_input_ids=decoder,
                      use_cache=True).past_key_values  # fmt: skip
    assert cu.kv_cache_bytes(config, 3, dtype="bf16") == cache_bytes(cache)


def test_encoder_only_models_cache_nothing():
    from transformers import BertConfig, ViTConfig

    bert = BertConfig(**SMALL, architectures=["BertForSequenceClassification"])
    assert cu.kv_cache_bytes(bert, 512) == 0
    assert cu.kv_cache_bytes(ViTConfig(), 197) == 0


@pytest.mark.parametrize(
    "change,match",
    [({"num_key_value_heads": -8}, "num_key_value_heads"),
     ({"num_key_value_heads": 0}, "num_key_value_heads"),
     ({"num_key_value_heads": 8}, "8 KV heads for 4"),
     ({"num_hidden_layers": None}, "num_hidden_layers"),
     ({"hidden_size": None}, "hidden_size")],
)  # fmt: skip
def test_configs_without_the_fields_a_figure_needs(change, match):
    data = {"model_type": "qwen2", **DECODER, **change}
    data = {k: v for k, v in data.items() if v is not None}  # None: the field is missing
    with pytest.raises(BadInputError, match=match):
        cu.kv_cache_bytes(data, 16)


# Every Falcon variant, given as a learner types it (a dict, as config.json has it), against the
# bytes transformers' own cache holds after generate at 256 tokens (issue 28: the new decoder
# architecture caches its keys and values repeated for every query head, whatever num_kv_heads)
FALCONS = {
    "new architecture, 2 KV heads": {"new_decoder_architecture": True, "num_kv_heads": 2},
    "new architecture, 1 KV head": {"new_decoder_architecture": True, "num_kv_heads": 1},
    "new architecture, Hub names": {"new_decoder_architecture": True, "n_head_kv": 2},
    "multi-query (Falcon-7B)": {"multi_query": True},
    "multi-head": {"multi_query": False},
    "alibi, multi-query": {"alibi": True, "multi_query": True},
}


@pytest.mark.parametrize("variant", FALCONS)
def test_every_falcon_variant_against_its_real_cache(variant):
    import torch
    import transformers

    data = {"model_type": "falcon", "architectures": ["FalconForCausalLM"], **SMALL,
            **FALCONS[variant]}  # fmt: skip
    torch.manual_seed(0)
    config = transformers.AutoConfig.for_model(**data)
    model = transformers.FalconForCausalLM(config).to(torch.bfloat16).eval()
    with torch.inference_mode():  # 250 prompt tokens + 7 new: 256 cached
        prompt = torch.randint(0, 256, (1, 250))
        out = model.generate(prompt, max_new_tokens=7, min_new_tokens=7, do_sample=False,
                             return_dict_in_generate=True, pad_token_id=0)  # fmt: skip
    held = cache_bytes(out.past_key_values)
    assert cu.kv_cache_bytes(data, 256, dtype="bf16") == held, (variant, held)
    assert cu.estimate_memory(data, "bf16", seq_len=256).kv_cache_bytes == held
