"""Small models the unit tests build for themselves: one place for their sizes and families.

Dimensions are multiples of 64: bitsandbytes' CPU 4-bit repack needs it.
"""

from __future__ import annotations

from pathlib import Path

# a two-layer decoder with grouped-query attention (4 heads, 2 KV heads)
DECODER = dict(
    vocab_size=512, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
    num_attention_heads=4, num_key_value_heads=2,
)  # fmt: skip
GPT2 = dict(vocab_size=512, n_embd=128, n_layer=2, n_head=4, n_positions=128, bos_token_id=0,
            eos_token_id=0)  # fmt: skip
BERT = dict(vocab_size=512, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
            num_attention_heads=4, max_position_embeddings=128, num_labels=2)  # fmt: skip

# family -> (Auto class, config class, config arguments): one per way weights get quantized
FAMILIES = {
    "qwen2-tied": ("AutoModelForCausalLM", "Qwen2Config", {**DECODER, "tie_word_embeddings": True}),
    "llama-untied": (
        "AutoModelForCausalLM",
        "LlamaConfig",
        {**DECODER, "tie_word_embeddings": False},
    ),
    "gpt2-conv1d": ("AutoModelForCausalLM", "GPT2Config", GPT2),  # GPT-2's Conv1D layers
    "bert-classifier": ("AutoModelForSequenceClassification", "BertConfig", BERT),
}


def tiny_config(family: str = "Llama", **overrides):
    """DECODER as a transformers ``<family>Config``, ``overrides`` on top: the tests' small
    decoders differ only in what they override."""
    import transformers

    return getattr(transformers, f"{family}Config")(**{**DECODER, **overrides})


def cache_bytes(cache) -> int:
    """Bytes of memory a cache holds (self- and cross-attention): each tensor's storage once.

    A sliding-window layer's keys are a view of a longer tensor, so numel() would undercount."""
    pair = hasattr(cache, "cross_attention_cache")
    caches = [cache.self_attention_cache, cache.cross_attention_cache] if pair else [cache]
    tensors = [t for c in caches for layer in c.layers for t in (layer.keys, layer.values)
               if t is not None and t.numel()]  # fmt: skip
    storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in tensors}
    return sum(storages.values())


def forward_cache_bytes(config, batch_size: int = 1, tokens: int = 10) -> int:
    """The KV cache a random bfloat16 causal LM of ``config`` holds after one forward pass over
    ``batch_size`` x ``tokens`` tokens, in bytes: what the cache formulas must match."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_config(config).to(torch.bfloat16).eval()
    with torch.inference_mode():
        out = model(torch.zeros(batch_size, tokens, dtype=torch.long), use_cache=True)
    return cache_bytes(out.past_key_values)


def tiny_llama_folder(path: Path, *, pickle_only: bool = False) -> Path:
    """A 2-layer random Llama saved like save_pretrained does (no tokenizer)."""
    import torch
    import transformers

    torch.manual_seed(0)
    config = tiny_config(
        hidden_size=64, intermediate_size=128, vocab_size=128, architectures=["LlamaForCausalLM"]
    )
    model = transformers.LlamaForCausalLM(config)
    if pickle_only:  # transformers 5 always writes safetensors: write the old pickle by hand
        path.mkdir(parents=True)
        config.save_pretrained(path)
        torch.save(model.state_dict(), path / "pytorch_model.bin")
    else:
        model.save_pretrained(path)
    return path


def saved_models(tmp_path_factory, table: dict, build: str = "from_config") -> dict:
    """Each ``name: (class name, config class name, config arguments)`` of ``table`` built with
    random weights (seed 0) and saved in a folder of its own; name -> (class, folder)."""
    import torch
    import transformers

    out = {}
    for name, (cls_name, config_cls, kw) in table.items():
        torch.manual_seed(0)
        folder = tmp_path_factory.mktemp(name)
        cls = getattr(transformers, cls_name)
        config = getattr(transformers, config_cls)(**kw)
        model = cls.from_config(config) if build == "from_config" else cls(config)
        model.save_pretrained(folder)  # fp32 on disk, like many small checkpoints
        out[name] = (cls, folder)
    return out


# the precisions the memory tests and scripts/bench_memory.py load a saved folder in
PRECISIONS = ("float32", "float16", "bfloat16", "int8", "nf4", "nf4+dq")


def load_as(cls, folder: Path, case: str, compute: str = "float16"):
    """``cls.from_pretrained(folder)`` in one of PRECISIONS: a plain dtype, or bitsandbytes'
    int8 / nf4 / nf4 + double quant with what stays unquantized in ``compute`` (float16, the
    T4's dtype, is where ``_keep_in_fp32_modules`` matters)."""
    import torch
    from transformers import BitsAndBytesConfig

    if case in ("float32", "float16", "bfloat16"):
        return cls.from_pretrained(folder, dtype=getattr(torch, case))
    dtype = getattr(torch, compute)
    if case == "int8":
        q = BitsAndBytesConfig(load_in_8bit=True)
    else:
        q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                               bnb_4bit_compute_dtype=dtype,
                               bnb_4bit_use_double_quant=case.endswith("+dq"))  # fmt: skip
    return cls.from_pretrained(folder, dtype=dtype, quantization_config=q)
