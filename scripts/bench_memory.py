"""Memory benchmark: course_utils' estimates against what real loads and runs hold (issue 14).

    make bench-memory                     # writes .artifacts/bench-memory.md and prints it
    python scripts/bench_memory.py --quick  # fewer peak lengths (128 and 1024 tokens)

Three tables, each figure measured on this machine (CPU; bitsandbytes runs on the CPU too):
1. Weights: tiny random models of many architectures saved to disk and loaded with
   ``from_pretrained`` in fp32, fp16, bf16, int8, nf4 and nf4 + double quant. "held" counts the
   loaded model's tensors (parameters, buffers and bitsandbytes' quantization state, each storage
   once: ``course_utils.footprint.bytes_in_memory``), before any forward. Beside it:
   ``cu.estimate_memory``, accelerate's own estimator (``accelerate.commands.estimate.gather_data``
   with its Hub lookup replaced by the local folder; it knows fp32/fp16/int8/int4) and
   params × bytes, each with its error.
2. KV cache per attention kind: ``cu.kv_cache_bytes`` against the bytes of the real
   ``past_key_values`` that ``generate`` returns (it holds prompt + new tokens - 1).
3. The inference peak of ``generate`` on SmolLM2-135M-Instruct (bf16, the stand-in Hub's real
   weights): ``peak_bytes`` against the weights held + the peak of the tensors alive during
   ``generate`` (a TorchDispatchMode tracker, course_utils/live_tensors.py), and on a CUDA GPU
   against ``torch.cuda.max_memory_allocated``.
It is a benchmark, not a test: it reports and never fails on a miss.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("COURSE_REAL_HUB"):  # the offline stand-in Hub serves SmolLM2's weights
    from tests.standins import ensure_hub, hub_env

    os.environ.update(hub_env(ensure_hub(log=lambda *_: None)))
from tests.fakes import PRECISIONS, load_as  # noqa: E402  (the memory tests load the same way)

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMALL = dict(vocab_size=512, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
             num_attention_heads=4)  # fmt: skip
GQA = {**SMALL, "num_key_value_heads": 2}
MLA = {**SMALL, "num_key_value_heads": 4, "moe_intermediate_size": 64, "kv_lora_rank": 32,
       "q_lora_rank": 64, "qk_rope_head_dim": 16, "qk_nope_head_dim": 32, "v_head_dim": 32,
       "n_routed_experts": 4, "num_experts_per_tok": 2, "first_k_dense_replace": 1,
       "n_group": 1, "topk_group": 1}  # fmt: skip
T5 = dict(vocab_size=512, d_model=128, d_kv=32, d_ff=256, num_layers=2, num_heads=4,
          decoder_start_token_id=0)  # fmt: skip
WHISPER = dict(vocab_size=512, d_model=128, encoder_layers=2, decoder_layers=2,
               encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=256,
               decoder_ffn_dim=256, num_mel_bins=16, max_source_positions=32,
               max_target_positions=64, decoder_start_token_id=1, pad_token_id=0,
               eos_token_id=2, bos_token_id=1)  # fmt: skip
BERT = dict(vocab_size=512, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
            num_attention_heads=4)  # fmt: skip

# name -> (model class, config class, config arguments): every one built with transformers
ARCHS = {
    "llama": ("LlamaForCausalLM", "LlamaConfig", GQA),
    "mistral": ("MistralForCausalLM", "MistralConfig", {**GQA, "sliding_window": 64}),
    "qwen2 (tied)": ("Qwen2ForCausalLM", "Qwen2Config", {**GQA, "tie_word_embeddings": True}),
    "qwen3": ("Qwen3ForCausalLM", "Qwen3Config", {**GQA, "head_dim": 32}),
    "gemma2": ("Gemma2ForCausalLM", "Gemma2Config", {**GQA, "head_dim": 32,
                                                      "sliding_window": 64}),
    "phi3": ("Phi3ForCausalLM", "Phi3Config", {**GQA, "pad_token_id": 0, "bos_token_id": 1,
                                                 "eos_token_id": 2}),
    "falcon (MQA)": ("FalconForCausalLM", "FalconConfig",
                     {**SMALL, "multi_query": True, "new_decoder_architecture": False}),
    "deepseek_v3 (MLA, MoE)": ("DeepseekV3ForCausalLM", "DeepseekV3Config", MLA),
    "mixtral (MoE)": ("MixtralForCausalLM", "MixtralConfig",
                      {**GQA, "num_local_experts": 4, "num_experts_per_tok": 2}),
    "qwen2_moe (MoE)": ("Qwen2MoeForCausalLM", "Qwen2MoeConfig",
                        {**GQA, "num_experts": 4, "num_experts_per_tok": 2,
                         "moe_intermediate_size": 64, "shared_expert_intermediate_size": 128}),
    "gpt2": ("GPT2LMHeadModel", "GPT2Config", dict(vocab_size=512, n_embd=128, n_layer=2,
                                                   n_head=4, n_positions=256, bos_token_id=0,
                                                   eos_token_id=0)),
    "opt": ("OPTForCausalLM", "OPTConfig", dict(vocab_size=512, hidden_size=128, ffn_dim=256,
                                                num_hidden_layers=2, num_attention_heads=4,
                                                word_embed_proj_dim=128)),
    "gpt_neox": ("GPTNeoXForCausalLM", "GPTNeoXConfig", SMALL),
    "t5": ("T5ForConditionalGeneration", "T5Config", T5),
    "whisper": ("WhisperForConditionalGeneration", "WhisperConfig", WHISPER),
    "bert (classifier)": ("BertForSequenceClassification", "BertConfig",
                          {**BERT, "num_labels": 2}),
    "distilbert (classifier)": ("DistilBertForSequenceClassification", "DistilBertConfig",
                                dict(vocab_size=512, dim=128, hidden_dim=256, n_layers=2,
                                     n_heads=4, num_labels=2)),
    "vit (classifier)": ("ViTForImageClassification", "ViTConfig",
                         dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
                              intermediate_size=256, image_size=32, patch_size=8,
                              num_labels=3)),
}  # fmt: skip
COMPUTE = "float16"  # what stays unquantized in a 4/8-bit load: the T4's dtype
ACCELERATE = {"float32": "float32", "float16": "float16", "bfloat16": "float16",
              "int8": "int8", "nf4": "int4", "nf4+dq": "int4"}  # fmt: skip

# attention kind -> (model class, config class, config arguments)
KINDS = {
    "MHA (GPT-2)": ARCHS["gpt2"],
    "GQA (Llama, 2 of 4 heads)": ARCHS["llama"],
    "GQA + qk-norm (Qwen3)": ARCHS["qwen3"],
    "MQA (Falcon multi_query)": ARCHS["falcon (MQA)"],
    "GQA (Falcon new arch, num_kv_heads=2)": (
        "FalconForCausalLM", "FalconConfig",
        {**SMALL, "new_decoder_architecture": True, "num_kv_heads": 2}),
    "MLA (DeepSeek-V3)": ARCHS["deepseek_v3 (MLA, MoE)"],
    "sliding window 8 (Mistral)": ("MistralForCausalLM", "MistralConfig",
                                   {**GQA, "sliding_window": 8}),
    "hybrid local/global (Gemma 2)": ("Gemma2ForCausalLM", "Gemma2Config",
                                      {**GQA, "head_dim": 32, "sliding_window": 8}),
    "self + cross (T5)": ARCHS["t5"],
    "self + cross over 32 frames (Whisper)": ARCHS["whisper"],
}  # fmt: skip


def build(cls_name: str, config_name: str, kw: dict):
    import torch
    import transformers

    torch.manual_seed(0)
    config = getattr(transformers, config_name)(**kw)
    return getattr(transformers, cls_name)(config).eval()


def err(got: float, true: float) -> str:
    return f"{100 * (got - true) / true:+.2f}%" if true else "n/a"


def accelerate_bytes(folder: Path, config: dict) -> dict[str, float]:
    """accelerate's ``estimate-memory`` figures (its own code), the Hub lookup made local."""
    from accelerate.commands import estimate

    real = estimate.verify_on_hub
    estimate.verify_on_hub = lambda repo, token=None: SimpleNamespace(
        config=config, library_name="transformers"
    )
    try:
        args = SimpleNamespace(model_name=str(folder), library_name="transformers",
                               trust_remote_code=False,
                               dtypes=["float32", "float16", "int8", "int4"])  # fmt: skip
        with contextlib.redirect_stdout(io.StringIO()):
            rows = estimate.gather_data(args)
    except Exception as e:  # noqa: BLE001 - a benchmark reports what the estimator cannot build
        return {"error": f"{type(e).__name__}"}
    finally:
        estimate.verify_on_hub = real
    return {row[0]: row[2] for row in rows}


def weights_rows(tmp: Path) -> list[list[str]]:
    import course_utils as cu
    from course_utils.footprint import bytes_in_memory

    rows = []
    for name, (cls_name, config_name, kw) in ARCHS.items():
        model = build(cls_name, config_name, kw)
        folder = tmp / name.split()[0]
        model.save_pretrained(folder)
        params = sum(p.numel() for p in model.parameters())
        acc = accelerate_bytes(folder, model.config.to_dict())
        for case in PRECISIONS:
            held = bytes_in_memory(load_as(type(model), folder, case, COMPUTE))
            dtype = case.removesuffix("+dq")
            est = cu.estimate_memory(folder, dtype, double_quant=case.endswith("+dq"),
                                     compute_dtype=COMPUTE)  # fmt: skip
            naive = params * cu.bytes_per_param(dtype)
            a = acc.get(ACCELERATE[case])
            acc_cells = [f"{a:,.0f}", err(a, held)] if a is not None else [acc["error"], ""]
            rows.append([name, case, f"{held:,}", f"{est.weights_bytes:,}",
                         err(est.weights_bytes, held), *acc_cells, f"{naive:,.0f}",
                         err(naive, held)])  # fmt: skip
        print(f"  weights: {name} done", file=sys.stderr)
    return rows


def cache_bytes(cache) -> int:
    """Bytes of every tensor a cache holds (self- and cross-attention), each storage once."""
    pair = hasattr(cache, "cross_attention_cache")
    caches = [cache.self_attention_cache, cache.cross_attention_cache] if pair else [cache]
    tensors = [t for c in caches for layer in c.layers for t in (layer.keys, layer.values)
               if t is not None and t.numel()]  # fmt: skip
    return sum({t.untyped_storage().data_ptr(): t.untyped_storage().nbytes()
                for t in tensors}.values())  # fmt: skip


def generate_cache(model, prompt: int, new: int, batch: int):
    """(past_key_values, decoder tokens it should hold, encoder tokens) after ``generate``."""
    import torch

    torch.manual_seed(0)
    kw = dict(max_new_tokens=new, min_new_tokens=new, do_sample=False,
              return_dict_in_generate=True, pad_token_id=0)  # fmt: skip
    with torch.inference_mode():
        if model.config.model_type == "whisper":  # 64 mel frames -> 32 encoder positions
            feats = torch.randn(batch, 16, 64, dtype=model.dtype)
            out = model.generate(input_features=feats, **kw)
            return out.past_key_values, out.sequences.shape[1] - 1, None
        ids = torch.randint(3, 500, (batch, prompt))
        out = model.generate(ids, **kw)
    if model.config.is_encoder_decoder:  # the decoder starts from one token
        return out.past_key_values, out.sequences.shape[1] - 1, prompt
    return out.past_key_values, out.sequences.shape[1] - 1, None


def kv_rows() -> list[list[str]]:
    import torch

    import course_utils as cu

    rows = []
    prompt, new, batch = 20, 6, 2
    for kind, (cls_name, config_name, kw) in KINDS.items():
        model = build(cls_name, config_name, kw).to(torch.bfloat16)
        cache, tokens, enc = generate_cache(model, prompt, new, batch)
        real = cache_bytes(cache)
        est = cu.kv_cache_bytes(model.config, tokens, batch, "bf16", encoder_len=enc)
        # params × bytes' cousin for the cache: the textbook 2 × layers × heads × head_dim
        c = model.config.get_text_config(decoder=True)
        layers = getattr(c, "num_hidden_layers", None) or c.decoder_layers
        hidden = getattr(c, "hidden_size", None) or c.d_model
        textbook = 2 * layers * hidden * tokens * batch * 2
        rows.append([kind, f"{batch}×{tokens}", f"{real:,}", f"{est:,}", err(est, real),
                     f"{textbook:,}", err(textbook, real)])  # fmt: skip
    return rows


def peak_rows(lengths: list[int]) -> list[list[str]]:
    import torch
    from transformers import AutoModelForCausalLM

    import course_utils as cu
    from course_utils.footprint import bytes_in_memory
    from course_utils.live_tensors import LiveTensors

    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    model = AutoModelForCausalLM.from_pretrained(SMOL, dtype=torch.bfloat16).to(device).eval()
    weights = bytes_in_memory(model)
    rows = []
    for n in lengths:
        ids = torch.randint(100, 40000, (1, n), device=device)
        kw = dict(max_new_tokens=2, min_new_tokens=2, do_sample=False, pad_token_id=0)
        est = cu.estimate_memory(SMOL, "bf16", seq_len=n + 2)
        start = time.perf_counter()
        with torch.inference_mode(), LiveTensors() as live:
            model.generate(ids, **kw)
        measured = weights + live.peak + ids.numel() * ids.element_size()
        row = [f"{n:,}", f"{weights:,}", f"{est.weights_bytes:,}", f"{measured:,}",
               f"{est.peak_bytes:,}", err(est.peak_bytes, measured)]  # fmt: skip
        if cuda:
            torch.cuda.reset_peak_memory_stats()
            with torch.inference_mode():
                model.generate(ids, **kw)
            gpu = torch.cuda.max_memory_allocated()
            row += [f"{gpu:,}", err(est.peak_bytes, gpu)]
        rows.append(row)
        took = time.perf_counter() - start
        print(f"  peak: {n} tokens done ({took:.0f} s)", file=sys.stderr)
    return rows


# tiny models whose prefill differs: plain causal attention, and a window shorter than the prompt
PEAK_SHAPES = {
    "llama (GQA)": ("LlamaForCausalLM", "LlamaConfig", {**GQA, "hidden_size": 256,
                                                        "intermediate_size": 1024}),
    "mistral (window 64)": ("MistralForCausalLM", "MistralConfig",
                            {**GQA, "hidden_size": 256, "intermediate_size": 1024,
                             "sliding_window": 64}),
}  # fmt: skip


def tiny_peak_rows(tokens: int = 1024) -> list[list[str]]:
    """Peak of generate beyond the weights (KV + activations) on tiny random models."""
    import torch

    import course_utils as cu
    from course_utils.live_tensors import LiveTensors

    rows = []
    for name, (cls_name, config_name, kw) in PEAK_SHAPES.items():
        model = build(cls_name, config_name, kw).to(torch.bfloat16)
        ids = torch.randint(1, 500, (1, tokens))  # no pad token: no padding mask
        with torch.inference_mode(), LiveTensors() as live:
            model.generate(ids, max_new_tokens=2, min_new_tokens=2, do_sample=False,
                           pad_token_id=0)  # fmt: skip
        est = cu.estimate_memory(model.config, "bf16", seq_len=tokens)
        predicted = est.kv_cache_bytes + est.activation_bytes
        rows.append([name, f"{tokens:,}", f"{live.peak:,}", f"{predicted:,}",
                     err(predicted, live.peak)])  # fmt: skip
    return rows


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def peak_sections(lengths: list[int]) -> list[str]:
    import torch

    head = ["prompt tokens", "weights held", "weights est.", "measured peak", "est. peak_bytes",
            "error"]  # fmt: skip
    if torch.cuda.is_available():
        head += ["cuda max_memory_allocated", "error"]
    return [
        f"## Peak of generate: {SMOL}, bf16, batch 1, 2 new tokens; measured = weights held + "
        "live-tensor peak during generate + the prompt ids",
        table(head, peak_rows(lengths)),
        "## Peak of generate beyond the weights, tiny random models (bf16, batch 1), bytes",
        table(["model", "prompt tokens", "live-tensor peak", "est. KV + activations", "error"],
              tiny_peak_rows()),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="peak at 128 and 1024 tokens only")
    ap.add_argument("--parts", default="weights,kv,peak", help="any of weights,kv,peak")
    ap.add_argument("--out", default=str(ROOT / ".artifacts" / "bench-memory.md"))
    args = ap.parse_args()
    import torch
    import transformers

    torch.set_num_threads(min(2, torch.get_num_threads()))
    start = time.perf_counter()
    parts = set(args.parts.split(","))
    sections = [
        f"# Memory benchmark (transformers {transformers.__version__}, torch "
        f"{torch.__version__}, {'CUDA' if torch.cuda.is_available() else 'CPU'})"
    ]
    if "weights" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            weights = weights_rows(Path(tmp))
        sections += [
            "## Weights: bytes held after from_pretrained (bytes), tiny random models; 4/8-bit "
            f"keep the rest in {COMPUTE}; accelerate's bf16 is its float16, its nf4 its int4",
            table(["architecture", "precision", "held", "cu.estimate_memory", "error",
                   "accelerate", "error", "params × bytes", "error"], weights),
        ]  # fmt: skip
    if "kv" in parts:
        sections += [
            "## KV cache after generate (bf16, batch × cached decoder tokens), bytes",
            table(["attention kind", "batch × tokens", "real past_key_values",
                   "cu.kv_cache_bytes", "error", "2 × layers × hidden × tokens", "error"],
                  kv_rows()),
        ]  # fmt: skip
    if "peak" in parts:
        sections += peak_sections([128, 1024] if args.quick else [128, 1024, 4096])
    sections.append(f"({time.perf_counter() - start:.0f} s on {os.cpu_count()} CPUs)")
    out = "\n\n".join(sections)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(out + "\n")
    print(out)


if __name__ == "__main__":
    main()
