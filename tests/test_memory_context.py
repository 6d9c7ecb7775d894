"""The context fits, plan, the CLI and the calculator assume when none is given (issue 28):
4,096 tokens, capped at the model's max_position_embeddings, said in every result, and the KV
cache it counts equal to what transformers' cache holds after a real generate of that length."""

from __future__ import annotations

import re

import pytest

import course_utils as cu
from course_utils.cli import main
from course_utils.levers import DEFAULT_CONTEXT
from tests.test_kv import cache_bytes

LLAMA = dict(model_type="llama", architectures=["LlamaForCausalLM"], vocab_size=256,
             hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2)  # fmt: skip


def real_cache(data: dict, tokens: int) -> int:
    """Bytes of the cache a real bfloat16 model holds once ``tokens`` tokens are cached."""
    import torch
    import transformers

    torch.manual_seed(0)
    config = transformers.AutoConfig.for_model(**data)
    model = transformers.LlamaForCausalLM(config).to(torch.bfloat16).eval()
    with torch.inference_mode():  # the last new token is not cached: prompt + 3 new - 1
        out = model.generate(torch.randint(0, 256, (1, tokens - 2)), max_new_tokens=3,
                             min_new_tokens=3, do_sample=False, return_dict_in_generate=True,
                             pad_token_id=0)  # fmt: skip
    return cache_bytes(out.past_key_values)


@pytest.mark.parametrize(("limit", "context"), [(32_768, DEFAULT_CONTEXT), (1_024, 1_024)])
def test_the_default_context_is_a_real_cache(limit, context):
    data = {**LLAMA, "max_position_embeddings": limit}
    held = real_cache(data, context)
    p = cu.plan(data, "T4")
    assert all(lv.estimate.seq_len == context for lv in p.levers if lv.estimate is not None)
    assert p.levers[0].estimate.kv_cache_bytes == held
    assert f"at {context:,} tokens of context" in str(p)
    # fits counts the same context: the verdict flips exactly where the plan's figure says
    need = p.levers[0].needed_bytes
    assert cu.fits(data, need / 2**30, "float16") and not cu.fits(data, (need - 1) / 2**30, "fp16")
    # an explicit seq_len wins, and says so
    assert "at 0 tokens of context (weights alone" in str(cu.plan(data, "T4", seq_len=0))
    assert "at 100 tokens of context" in str(cu.estimate_memory(data, seq_len=100))


def test_the_cli_and_the_calculator_say_the_context(capsys):
    import json
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    (folder / "config.json").write_text(json.dumps({**LLAMA, "max_position_embeddings": 2048}))
    held = real_cache({**LLAMA, "max_position_embeddings": 2048}, 2048)
    assert main(["memory", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.count("at 2,048 tokens of context") == 2  # the estimate and the plan
    kib = re.search(r"KV cache\s+([\d.]+) GiB \(2,048 tokens", out)
    assert kib and float(kib.group(1)) == round(held / 2**30, 2)
    ui = cu.memory_calculator(str(folder))
    assert ui.controls["seq_len"].value == DEFAULT_CONTEXT  # capped at the model's 2,048 here
    assert "at 2,048 tokens of context" in ui.verdict.value


def test_a_bare_count_says_the_kv_cache_is_not_counted_and_how_to_count_it(capsys):
    p = cu.plan("7B", "T4")
    text = str(p)
    assert "KV cache not counted" in text.splitlines()[0]
    assert "pass a config, folder or Hub id" in text
    est = cu.estimate_memory(7e9, seq_len=4096)
    assert est.kv_cache_bytes == 0 and "KV cache not counted" in str(est)
    assert "KV cache " not in "".join(str(est).splitlines()[1:3])  # no "KV cache 0.00 GiB" row
    assert main(["memory", "7B"]) == 0
    assert "KV cache not counted: without a config" in capsys.readouterr().out
    ui = cu.memory_calculator("7B")
    assert "KV cache not counted" in ui.verdict.value


def test_a_guessed_class_is_said_where_the_figure_is_read(tmp_path, capsys):
    import json

    data = {k: v for k, v in LLAMA.items() if k != "architectures"}
    (tmp_path / "config.json").write_text(json.dumps(data))
    said = "Counted as LlamaForCausalLM: the config names no architecture"
    assert said in str(cu.plan(data))
    assert main(["memory", str(tmp_path)]) == 0
    assert capsys.readouterr().out.count(said) == 2  # the estimate's note and the plan
    verdict = cu.memory_calculator(str(tmp_path)).verdict.value
    assert said in verdict.split("<details>")[0]  # beside the verdict, not only in the details
    assert said not in str(cu.plan({**LLAMA}))  # named: nothing guessed, nothing said
