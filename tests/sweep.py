"""The memory sweep (issue 32): every causal-LM type transformers ships, shrunk to a tiny random
model, built, saved and loaded back in fp32, bf16, nf4 and int8, against ``cu.estimate_memory``;
and its KV cache after a short ``generate`` against ``cu.kv_cache_bytes``.

Used by tests/test_memory_sweep.py (a fast subset) and scripts/bench_memory_sweep.py (all types,
``make bench-memory-sweep``). Bytes held are counted by ``course_utils.footprint.bytes_in_memory``
(parameters, buffers and bitsandbytes' quantization state, each storage once). A type whose tiny
config transformers itself cannot build, save or load back is skipped, with the reason.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRECISIONS = ("float32", "bfloat16", "nf4", "int8")

# the sizes of a tiny model, by the names configs give them (only those a config has are set)
TINY = {
    "hidden_size": 64, "n_embd": 64, "d_model": 64, "embed_dim": 64, "dim": 64,
    "intermediate_size": 128, "n_inner": 128, "ffn_dim": 128, "d_ff": 128, "ffn_hidden_size": 128,
    "decoder_ffn_dim": 128, "encoder_ffn_dim": 128,
    "num_hidden_layers": 2, "n_layer": 2, "num_layers": 2, "n_layers": 2, "decoder_layers": 2,
    "encoder_layers": 2, "num_decoder_layers": 2, "num_encoder_layers": 2,
    "num_attention_heads": 4, "n_head": 4, "num_heads": 4, "n_heads": 4,
    "decoder_attention_heads": 4, "encoder_attention_heads": 4,
    "head_dim": 16, "d_kv": 16, "kv_channels": 16,
    "vocab_size": 256, "max_position_embeddings": 256, "n_positions": 256,
    "moe_intermediate_size": 32, "shared_expert_intermediate_size": 64,
    "num_experts": 4, "num_local_experts": 4, "n_routed_experts": 4, "moe_num_experts": 4,
    "num_experts_per_tok": 2, "moe_topk": 2, "top_k": 2,
    "kv_lora_rank": 16, "q_lora_rank": 32, "qk_rope_head_dim": 16, "qk_nope_head_dim": 16,
    "v_head_dim": 16, "n_group": 1, "topk_group": 1,
    "state_size": 8, "mamba_d_state": 8, "ssm_state_size": 8, "time_step_rank": 4,
    "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 16,
    "linear_value_head_dim": 16, "sliding_window": 32, "attention_window_size": 32,
    "dim_model": 64, "dim_ff": 128, "dim_head": 16, "num_kv_shared_layers": 0, "rotary_dim": 16,
    "moe_k": 2, "num_experts_per_token": 2,
    "vocab_size_per_layer_input": 256, "hidden_size_per_layer_input": 16,
}  # fmt: skip
_TOKENS = {"pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 1,
           "sep_token_id": 2, "cls_token_id": 1, "mask_token_id": 3, "unk_token_id": 3}  # fmt: skip
# what a type needs beside the shrink to be built as a causal LM at all
SPECIAL = {
    "reformer": {"is_decoder": True},
    # hybrids whose attention layers sit past the second layer: one attention layer of the two
    "jamba": {"attn_layer_period": 2, "attn_layer_offset": 1},
    "bamba": {"attn_layer_indices": [1]},
}
_KV = ("num_key_value_heads", "num_kv_heads", "n_head_kv", "multi_query_group_num")
_EXPERT_LISTS = ("mlp_only_layers",)


def _shrink(default: dict[str, Any], layers_default: int | None) -> dict[str, Any]:
    """Tiny values for the sizes a config dict has; lists one per layer cut to 2 layers."""
    out: dict[str, Any] = {}
    for key, value in default.items():
        if key in TINY and isinstance(value, int) and not isinstance(value, bool) and value > 0:
            out[key] = min(value, TINY[key])
        elif key in TINY and isinstance(value, list) and layers_default == len(value):
            out[key] = [min(v, TINY[key]) for v in value[:2]]  # one per layer
        elif key in _TOKENS and isinstance(value, (int, list)) and value != []:
            big = any(v >= 256 for v in (value if isinstance(value, list) else [value]))
            out[key] = _TOKENS[key] if big else value
        elif isinstance(value, dict) and value and all(str(k).isdigit() for k in value):
            out[key] = {k: v for k, v in value.items() if int(k) < 2}  # per-layer settings
        elif key in ("head_dim", "num_key_value_heads", "num_experts_per_tok") and value is None:
            out[key] = 16 if key == "head_dim" else 2  # a Hub config.json sets them; defaults don't
        elif key in _KV and isinstance(value, int) and value > 0:
            heads = default.get("num_attention_heads") or default.get("n_head") or 4
            out[key] = 2 if value < heads else 4
        elif isinstance(value, list) and layers_default and len(value) == layers_default:
            other = next((v for v in value if v != value[0]), value[-1])
            out[key] = [value[0], other]  # one layer of each kind (sliding and full attention)
        elif key in _EXPERT_LISTS and isinstance(value, list):
            out[key] = [i for i in value if isinstance(i, int) and i < 2]
    _mamba_heads(default, out)
    return out


def _mamba_heads(default: dict[str, Any], out: dict[str, Any]) -> None:
    """Mamba-2 style mixers need heads × head size = expand × hidden size."""
    hidden = out.get("hidden_size", default.get("hidden_size"))
    for heads, head_dim, expand in [("num_heads", "head_dim", "expand"),
                                    ("mamba_n_heads", "mamba_d_head", "mamba_expand")]:  # fmt: skip
        if all(k in default for k in (heads, head_dim, expand)) and hidden:
            width = int(default[expand] * hidden)
            if default.get("mamba_d_ssm"):
                out["mamba_d_ssm"] = width
            out[head_dim] = 16 if width % 16 == 0 else width
            out[heads] = width // out[head_dim]
            if "n_groups" in default or "mamba_n_groups" in default:
                out["n_groups" if "n_groups" in default else "mamba_n_groups"] = 1


def tiny_config(model_type: str, class_name: str) -> Any:
    """The config of ``model_type`` at its defaults, its sizes shrunk, ``architectures`` set."""
    from transformers import AutoConfig

    default = AutoConfig.for_model(model_type)
    data = default.to_dict()
    layers = data.get("num_hidden_layers") or data.get("num_layers") or data.get("n_layer")
    kwargs = _shrink(data, layers if isinstance(layers, int) else None)
    for name in getattr(default, "sub_configs", None) or {}:
        sub = data.get(name)
        if isinstance(sub, dict):
            sub_layers = sub.get("num_hidden_layers") or sub.get("num_layers")
            kwargs[name] = {**sub, **_shrink(sub, sub_layers)}
    kwargs.update(SPECIAL.get(model_type, {}))
    config = AutoConfig.for_model(model_type, **kwargs)
    config.architectures = [class_name]
    return config


def causal_lm_types() -> dict[str, str]:
    """model type -> causal-LM class name, as transformers' auto mapping lists them."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    return {t: c for t, c in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.items() if isinstance(c, str)}


@dataclass
class Row:
    """One type's results: per precision (held, estimate) or the exception's text."""

    model_type: str
    skipped: str = ""  # why transformers itself could not build, save or load it back
    held: dict[str, int] = field(default_factory=dict)
    estimate: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # precision (or "kv") -> exception
    kv_held: int | None = None
    kv_estimate: int | None = None

    def exact(self, precision: str) -> bool:
        return precision in self.held and self.held[precision] == self.estimate.get(precision)

    def kv_ok(self) -> bool:
        if self.kv_held is None or self.kv_estimate is None:
            return False
        return abs(self.kv_estimate - self.kv_held) <= 0.01 * max(self.kv_held, 1)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}"


@contextlib.contextmanager
def _quiet():
    """transformers' progress bars and warnings off: the table is the output."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        hf_logging.set_verbosity(level)
        hf_logging.enable_progress_bar()


def _load(folder: Path, precision: str) -> Any:
    """The model as a learner loads it: AutoModelForCausalLM.from_pretrained, in ``precision``."""
    import torch
    from transformers import AutoModelForCausalLM as cls
    from transformers import BitsAndBytesConfig

    if precision in ("float32", "bfloat16"):
        return cls.from_pretrained(folder, dtype=getattr(torch, precision))
    if precision == "int8":
        q = BitsAndBytesConfig(load_in_8bit=True)
    else:
        q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                               bnb_4bit_compute_dtype=torch.bfloat16)  # fmt: skip
    return cls.from_pretrained(folder, dtype=torch.bfloat16, quantization_config=q)


def cache_bytes(cache: Any) -> int:
    """Bytes a cache holds (tests/test_kv.py's count): each key/value storage once."""
    import torch

    tensors = []
    caches = [getattr(cache, "self_attention_cache", cache)]
    caches += [cache.cross_attention_cache] if hasattr(cache, "cross_attention_cache") else []
    for c in caches:
        for layer in getattr(c, "layers", []):
            for name in ("keys", "values"):
                t = getattr(layer, name, None)
                if isinstance(t, torch.Tensor) and t.numel():
                    tensors.append(t)
    return sum({t.untyped_storage().data_ptr(): t.untyped_storage().nbytes()
                for t in tensors}.values())  # fmt: skip


def _kv(row: Row, model: Any, folder: Path) -> None:
    """The cache after a 6-token prompt and 3 new tokens (8 cached) against kv_cache_bytes."""
    import torch

    import course_utils as cu

    if not getattr(model, "can_generate", lambda: False)():
        return
    try:
        with torch.inference_mode():
            torch.manual_seed(0)
            out = model.generate(torch.randint(3, 200, (1, 6)), max_new_tokens=3,
                                 min_new_tokens=3, do_sample=False, return_dict_in_generate=True,
                                 pad_token_id=0)  # fmt: skip
    except Exception as exc:  # the tiny model does not generate: no real cache to compare
        row.errors["kv (generate)"] = _short(exc)
        return
    pkv = getattr(out, "past_key_values", None)
    if pkv is None or not hasattr(pkv, "layers"):
        return  # a state-space model's own cache (Mamba): not a KV cache
    row.kv_held = cache_bytes(pkv)
    try:
        row.kv_estimate = cu.kv_cache_bytes(folder, 8, dtype="bfloat16")
    except Exception as exc:
        row.errors["kv"] = _short(exc)


def run_type(model_type: str, class_name: str, precisions=PRECISIONS, kv: bool = True) -> Row:
    """Build, save and load back one type in each precision; estimate each from its folder."""
    import torch
    import transformers

    import course_utils as cu
    from course_utils.footprint import bytes_in_memory

    row = Row(model_type)
    cls = getattr(transformers, class_name, None)
    with _quiet(), tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        try:
            if cls is None:
                raise ImportError(f"transformers has no class {class_name}")
            config = tiny_config(model_type, class_name)
            torch.manual_seed(0)
            # AutoModelForCausalLM builds a composite config's text model from its text config
            transformers.AutoModelForCausalLM.from_config(config).save_pretrained(folder)
            # the parent config, naming the causal-LM class, as a config.json on the Hub does
            config.save_pretrained(folder)
        except Exception as exc:
            row.skipped = f"transformers cannot build or save it: {_short(exc)}"
            return row
        for precision in precisions:
            try:
                model = _load(folder, precision)
            except Exception as exc:
                if precision in ("float32", "bfloat16"):
                    row.skipped = f"transformers cannot load it back: {_short(exc)}"
                    return row
                row.errors[precision] = f"load: {_short(exc)}"
                continue
            row.held[precision] = bytes_in_memory(model)
            try:
                est = cu.estimate_memory(folder, precision, compute_dtype="bfloat16")
                row.estimate[precision] = est.weights_bytes
            except Exception as exc:
                row.errors[precision] = _short(exc)
            if kv and precision == "bfloat16":
                _kv(row, model.eval(), folder)
            del model
    return row


def table(rows: list[Row], precisions=PRECISIONS) -> str:
    """A markdown table: type × precision (held / estimate, or the exception), and the KV."""
    head = "| type | " + " | ".join(precisions) + " | KV cache (8 tokens, bf16) |"
    lines = [head, "|" + "---|" * (len(precisions) + 2)]
    for r in rows:
        if r.skipped:
            lines.append(f"| {r.model_type} | skipped: {r.skipped} |" + " |" * len(precisions))
            continue
        cells = []
        for p in precisions:
            if p in r.errors:
                cells.append(f"error: {r.errors[p]}")
            elif r.exact(p):
                cells.append(f"{r.held[p]:,} exact")
            elif p in r.held:
                diff = (r.estimate[p] - r.held[p]) / r.held[p]
                cells.append(f"{r.held[p]:,} held, {r.estimate[p]:,} est. ({diff:+.2%})")
            else:
                cells.append("")
        if r.kv_held is not None and r.kv_estimate is not None:
            ok = "ok" if r.kv_ok() else "MISS"
            cells.append(f"{r.kv_held:,} held, {r.kv_estimate:,} est. ({ok})")
        else:
            cells.append(next((f"error: {v}" for k, v in r.errors.items() if "kv" in k), "-"))
        lines.append(f"| {r.model_type} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
