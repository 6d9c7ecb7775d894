"""The activations at the peak of inference, the part of the memory that grows with the prompt.

``generate`` peaks during the prefill, in the MLP of the last layer, when the whole prompt's KV
cache already exists. What is live then, per prompt token (measured with a live-tensor tracker
on SmolLM2-135M and four other Llama shapes: exact to 16 bytes a token, tests/test_peak.py):
3 × intermediate_size numbers (the activated gate, the up projection and their product),
4 × hidden_size (the residual stream, its norm, the attention output and the sum), 2 × head_dim
(the rotary cos/sin every layer shares) and 16 bytes of int64 positions. The other candidate
peak is the head: the final hidden states plus the logits, of one position per sequence in
``generate`` (it asks for the last one only). A plain forward (``mode="forward"``)
keeps the logits of every position: batch × seq × vocab numbers, 403 MB for SmolLM2 at 4096
tokens in bf16. SDPA's CPU kernel never materializes the seq × seq attention scores. A prompt
longer than a sliding window (Mistral) adds two things at the prefill: the sliding layers still
hold the whole prompt's keys and values (the window is cut as a view of the full tensor, freed
at the next step), and attention gets a batch × seq × seq boolean mask (measured on a tiny
Mistral, windows of 64 and 4096, within 0.01%). Prompts with padding get a mask in any model:
not counted. In 8-bit, bitsandbytes multiplies int8 by int8 into an int32 result inside one
operation, n × intermediate_size × 4 bytes in the MLP: no tracker of tensors sees it, a GPU's
allocator does; counted whole, an upper bound. Part 8 teaches it.
"""

from __future__ import annotations

from typing import Any

from .errors import BadInputError
from .kv import field, kv_numbers

MODES = ("generate", "forward")
POSITIONS_BYTES = 16  # int64 position ids and cache positions, per token
INT32_BYTES = 4  # bitsandbytes' 8-bit matmul result, per number


def activation_bytes(
    config: Any,
    seq_len: int,
    batch_size: int,
    width: float,
    mode: str = "generate",
    int8: bool = False,
) -> int:
    """Bytes of activations at the prefill peak for ``batch_size`` prompts of ``seq_len`` tokens.

    ``width`` is the bytes of one number in the compute dtype (2 for bf16/fp16, 4 for fp32);
    ``int8`` adds the int32 result of bitsandbytes' 8-bit matmul in the MLP's widest layer.
    """
    if mode not in MODES:
        raise BadInputError(f"mode must be 'generate' or 'forward', got {mode!r}.")
    text = config if config.is_encoder_decoder else config.get_text_config(decoder=True)
    hidden = field(text, "hidden_size", "d_model", "n_embd")
    inter = field(text, "intermediate_size", "d_ff", "n_inner", "decoder_ffn_dim",
                  default=4 * hidden)  # fmt: skip
    heads = field(text, "num_attention_heads", "num_heads", "decoder_attention_heads")
    head_dim = getattr(text, "head_dim", None) or hidden // heads
    vocab = field(text, "vocab_size", default=0)
    tokens = seq_len * batch_size
    mlp = tokens * ((3 * inter + 4 * hidden + 2 * head_dim) * width + POSITIONS_BYTES)
    mlp += tokens * inter * INT32_BYTES if int8 else 0
    logits = (batch_size if mode == "generate" else tokens) * vocab * width
    peak = max(mlp, tokens * hidden * width + logits)  # the MLP, or the head at the end
    return int(peak + _sliding_prefill(config, seq_len, batch_size, width))


def _sliding_prefill(config: Any, seq_len: int, batch_size: int, width: float) -> int:
    """What sliding-window layers add at the prefill: the keys and values beyond their window
    (still held until the next step) and the batch × seq × seq boolean mask."""
    beyond = kv_numbers(config, seq_len, windows=False) - kv_numbers(config, seq_len)
    if not beyond:  # no window is shorter than the prompt: plain causal attention, no mask
        return 0
    return int(beyond * batch_size * width + batch_size * seq_len * seq_len)
