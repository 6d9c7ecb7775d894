"""Part 8 exercises: each checker says 'not attempted', accepts the right answer and rejects
wrong ones with a message that says what is off."""

import pytest
import torch

import course_utils as cu
from course_utils.exercises import part8
from tests.verdicts import right, wrong


def _llama_13b_shape(**extra):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=32_000,
        hidden_size=5_120,
        intermediate_size=13_824,
        num_hidden_layers=40,
        num_attention_heads=40,
        num_key_value_heads=40,
        **extra,
    )


def test_q1_kv_room():
    weights = cu.estimate_memory(_llama_13b_shape(), "int8", seq_len=0).weights_bytes
    room = cu.GPUS["T4"].usable_bytes - weights
    tokens = room / (2 * 40 * 40 * 128 * 2)
    most = int(tokens)  # 3,033: whole tokens that fit (3,033.71 exactly)
    assert most == 3_033
    right(part8.q1, most)
    right(part8.q1, room // (2 * 40 * 40 * 128 * 2))  # 3033.0 from //, as the task allows
    wrong(part8.q1, most - 20, says="the most that does")  # review: 3,000 was accepted
    wrong(part8.q1, most - 1, says="the most that does")
    wrong(part8.q1, tokens, says="round down")  # a fraction of a token is no token
    wrong(part8.q1, most + 0.5, says="round down")
    wrong(part8.q1, most + 1, says="round down, not to the nearest")  # 3,034 does not fit
    wrong(part8.q1, tokens * 2, says="keys AND values")
    wrong(part8.q1, tokens / 2, says="float32")
    wrong(part8.q1, (cu.GPUS["T4"].usable_gib * 1e9 - weights) / 819_200, says="GiB")
    wrong(part8.q1, tokens * 40, says="all 40 layers")
    wrong(part8.q1, tokens * 1.2, says="too many")
    wrong(part8.q1, (tokens, False), says="number of tokens")


def test_q1_numpy_numbers_and_tensors():
    """Review s9: np.int64(3033) was rejected as 'a 0-dim tensor'. A NumPy number is read as the
    number it holds; a wrong one gets the ordinary message, and a tensor is named a tensor."""
    import numpy as np

    right(part8.q1, np.int64(3_033))
    right(part8.q1, np.float64(3_033.0))
    right(part8.q1, np.array(3_033))
    msg = wrong(part8.q1, np.int64(3_013), says="the most that does")
    assert "tensor" not in msg
    wrong(part8.q1, torch.tensor(3_013), says="0-dim tensor")


def test_q1_subtracting_the_cuda_context_is_named():
    """Review s9: subtracting the CUDA context (2,201 tokens) got only 'too few'."""
    weights = cu.estimate_memory(_llama_13b_shape(), "int8", seq_len=0).weights_bytes
    room = cu.GPUS["T4"].usable_bytes - weights - 650 * 2**20
    answer = room // (2 * 40 * 40 * 128 * 2)
    assert answer == 2_201
    wrong(part8.q1, answer, says="CUDA context")


def test_q1_too_many_that_is_no_rounding_gets_the_generic_message():
    """Review s8: 3,072 (3 x 1024) was told to 'round down, not to the nearest'."""
    for too_many in (3_072, 3_040, 3_035):
        msg = wrong(part8.q1, too_many, says="too many")
        assert "nearest" not in msg


def test_q1_sixteen_bit_weights_leave_no_room():
    """The 13B's 16-bit weights (about 24 GiB) leave a negative room: the message names 8-bit."""
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        empty = AutoModelForCausalLM.from_config(_llama_13b_shape(), dtype=torch.float16)
    room = cu.GPUS["T4"].usable_bytes - empty.get_memory_footprint()
    wrong(part8.q1, room // (2 * 40 * 40 * 128 * 2), says="16-bit weights")


def test_q1_weights_come_from_the_estimate_of_the_typed_config():
    """The learner's LlamaConfig, with or without the 70B cell's extra fields, gives the same
    8-bit weights (about 12.44 GiB) and the same per-token cache."""
    typed = _llama_13b_shape()
    full = _llama_13b_shape(max_position_embeddings=4_096, architectures=["LlamaForCausalLM"])
    a = cu.estimate_memory(typed, "int8", seq_len=0).weights_bytes
    assert a == cu.estimate_memory(full, "int8", seq_len=0).weights_bytes
    assert round(a / 2**30, 2) == 12.44
    assert cu.kv_cache_bytes(typed, 1) == 2 * 40 * 40 * 128 * 2
    assert part8.Q1_SHAPE == {k: getattr(typed, k) for k in part8.Q1_SHAPE}


def test_q1_solution_runs_and_passes():
    from transformers import LlamaConfig

    scope = {"cu": cu, "LlamaConfig": LlamaConfig}
    exec(part8.q1.solution_text, scope)
    right(part8.q1, scope["answer"])


def _right(w):
    lo, hi = torch.clamp(w.min(), max=0), torch.clamp(w.max(), min=0)
    scale = (hi - lo) / 255
    zero_point = torch.round(-128 - lo / scale)
    q = torch.clamp(torch.round(w / scale) + zero_point, -128, 127).to(torch.int8)
    return q, scale, zero_point


def _min_max(w):  # section 6's cell, copied: right only when min < 0 < max
    scale = (w.max() - w.min()) / 255
    zero_point = torch.round(-128 - w.min() / scale)
    q = torch.clamp(torch.round(w / scale) + zero_point, -128, 127).to(torch.int8)
    return q, scale, zero_point


def test_q2_right_answer_matches_torch():
    """The expected codes are torch.quantize_per_tensor's for the same scale and zero point."""
    w = torch.rand(100) * 3 + 1  # all positive
    q, scale, zp = _right(w)
    assert -128 <= zp <= 127
    ref = torch.quantize_per_tensor(w, float(scale), int(zp), torch.qint8).int_repr()
    assert (ref.int() - q.int()).abs().max() <= 1
    # the min/max zero point of the same tensor is no int8, and torch refuses it
    _q, s2, zp2 = _min_max(w)
    assert zp2 < -128
    try:
        torch.quantize_per_tensor(w, float(s2), int(zp2), torch.qint8)
    except RuntimeError:
        pass
    else:  # pragma: no cover - depends on torch keeping its range check
        raise AssertionError("torch accepted a zero point outside int8")


def test_q2_int8_by_hand():
    right(part8.q2, _right)

    def python_floats(w):  # the same scheme in plain Python numbers
        lo, hi = min(w.min().item(), 0.0), max(w.max().item(), 0.0)
        scale = (hi - lo) / 255
        zero_point = round(-128 - lo / scale)
        q = torch.clamp(torch.round(w / scale) + zero_point, -128, 127).to(torch.int8)
        return q, scale, zero_point

    right(part8.q2, python_floats)
    # copying section 6: the all-positive tensor gets a zero point of about -216
    wrong(part8.q2, _min_max, says="include 0")

    def clamped_zero_point(w):  # min/max scale, zero point forced into range: w.min() drifts
        q, scale, zp = _min_max(w)
        zp = torch.clamp(zp, -128, 127)
        return torch.clamp(torch.round(w / scale) + zp, -128, 127).to(torch.int8), scale, zp

    wrong(part8.q2, clamped_zero_point, says="holds 0 already")

    def symmetric(w):  # a different scheme: scale from the largest magnitude
        scale = w.abs().max() / 127
        return torch.round(w / scale).to(torch.int8), scale, 0

    wrong(part8.q2, symmetric, says="symmetric absmax")

    def symmetric_off_scale(w):  # symmetric, but the scale over 255 levels: no named scheme
        scale = w.abs().max() / 255
        return torch.round(w / scale).clamp(-128, 127).to(torch.int8), scale, 0

    wrong(part8.q2, symmetric_off_scale, says="expected")

    def no_zero_point(w):
        q, scale, _zp = _right(w)
        return q, scale, 0

    wrong(part8.q2, no_zero_point, says="half a step")

    def floats(w):
        q, scale, zp = _right(w)
        return q.float(), scale, zp

    wrong(part8.q2, floats, says="torch.int8")

    def no_clamp(w):  # a value that rounds to 128 wraps round to -128 in int8
        q, scale, zero_point = _right(w)
        return (torch.round(w / scale) + zero_point).to(torch.int8), scale, zero_point

    wrong(part8.q2, no_clamp, says="half a step")
    wrong(part8.q2, _right(torch.randn(4)), says="function")

    def per_row(w):  # bitsandbytes-style: a scale per row, not what the exercise asks
        lo = torch.clamp(w.min(dim=-1, keepdim=True).values, max=0)
        hi = torch.clamp(w.max(dim=-1, keepdim=True).values, min=0)
        scale = (hi - lo) / 255
        zero_point = torch.round(-128 - lo / scale)
        return (
            torch.clamp(torch.round(w / scale) + zero_point, -128, 127).to(torch.int8),
            scale,
            zero_point,
        )

    wrong(part8.q2, per_row, says="whole tensor")

    def unsigned(w):  # a valid scheme, but not the signed int8 the task names
        q, scale, zp = _right(w)
        return (q.int() + 128).to(torch.uint8), scale, zp + 128

    wrong(part8.q2, unsigned, says="signed int8")


def test_q1_rejects_nan_and_inf():
    for bad in (float("nan"), float("inf"), -float("inf")):
        msg = wrong(part8.q1, bad)
        # refused at the door or by q1
        assert "NaN or inf" in msg or "not a number of tokens" in msg


def test_q3_expected_answer_is_worked_out_from_licenses_and_plans():
    """The expected answer follows from course_utils, not from a stored constant."""
    facts = {
        m: (cu.license_info(m).category, cu.plan(m, gpu="T4", seq_len=part8.Q3_CONTEXT))
        for m in part8.Q3_CANDIDATES
    }
    shippable = {m: p for m, (cat, p) in facts.items() if cat == "permissive" and p.choice}
    best = max(shippable, key=lambda m: shippable[m].levers[0].estimate.params)
    assert (best, shippable[best].choice.dtype) == ("Qwen/Qwen2.5-7B-Instruct", "nf4")
    # not the worked example: at section 4's 4,096 tokens the same model's first fit is 8-bit
    assert cu.plan("Qwen/Qwen2.5-7B-Instruct", gpu="T4", seq_len=4_096).choice.dtype == "int8"
    # the solution's figures are the plan's
    levers = {lv.dtype: lv for lv in shippable[best].levers[:3]}
    assert f"{levers['int8'].needed_bytes / 2**30:.2f} GiB" in part8.q3.solution_text
    assert f"{levers['nf4'].needed_bytes / 2**30:.2f} GiB" in part8.q3.solution_text
    # the 8B fits too at this context, but its license is conditional: a paid product needs care
    assert facts["meta-llama/Llama-3.1-8B-Instruct"][0] == "conditional"
    assert facts["meta-llama/Llama-3.1-8B-Instruct"][1].choice is not None


def test_q3_ship_a_model():
    right(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", "nf4"))
    right(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", "NF4"))  # any case of nf4
    right(part8.q3, ["Qwen/Qwen2.5-7B-Instruct", "nf4"])  # a list is a pair too
    # the worked example's answer, from memory: too big at this context
    msg = wrong(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", "int8"), says="does not fit")
    assert "32,768" in msg
    assert "section 4's planner at 4,096 tokens" in msg and "section 3" not in msg
    wrong(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", "float16"), says="does not fit")
    wrong(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", "float32"), says="does not fit")
    # fp4 fits exactly as nf4 does (the same bytes): the reason against it is rounding
    assert cu.fits("Qwen/Qwen2.5-7B-Instruct", gpu="T4", dtype="fp4", seq_len=part8.Q3_CONTEXT)
    msg = wrong(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", "fp4"), says="rounds more")
    assert "does not fit" not in msg and "first lever" not in msg  # nf4 IS the first lever
    assert "section 2 measures both" in msg and ".." not in msg  # one period before "Try again"
    wrong(part8.q3, ("meta-llama/Llama-3.1-8B-Instruct", "nf4"), says="conditional")
    wrong(part8.q3, ("google/gemma-2-2b-it", "float16"), says="gemma")
    wrong(part8.q3, ("Qwen/Qwen2.5-0.5B-Instruct", "float16"), says="larger model")
    wrong(part8.q3, ("someone/else", "nf4"), says="not in")
    right(part8.q3, ("qwen/qwen2.5-7b-instruct", "nf4"))  # the Hub reads ids in any case
    wrong(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", "int3"), says="not a precision")
    wrong(part8.q3, "Qwen/Qwen2.5-7B-Instruct", says="pair")
    wrong(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", "nf4", "T4"), says="pair")


@pytest.mark.parametrize("bare", ["4bit", "int4", "4-bit", "INT4"])
def test_q3_bare_4bit_asks_which_format(bare):
    """A bare 4-bit config is fp4 (section 2), so '4bit' names no format: the checker asks."""
    msg = wrong(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", bare), says="which one, 'nf4' or 'fp4'")
    assert "load_in_4bit=True) means fp4" in msg


def test_q3_solution_runs_without_access_to_the_gated_candidates(monkeypatch, capsys):
    """A learner with no Llama or Gemma grant: their config.json refuses (GatedRepoError), their
    public card does not. The solution tests the license first, so it never asks for the configs
    of the gated repos and still prints the answer's facts."""
    import httpx
    import huggingface_hub
    from huggingface_hub.errors import GatedRepoError

    real = huggingface_hub.hf_hub_download
    gated = ("meta-llama/", "google/")

    def no_grant(repo_id, filename, *args, **kwargs):
        if repo_id.startswith(gated) and filename != "README.md":
            request = httpx.Request(
                "GET", f"https://huggingface.co/{repo_id}/resolve/main/{filename}"
            )
            raise GatedRepoError(
                f"Access to model {repo_id} is restricted",
                response=httpx.Response(403, request=request),
            )
        return real(repo_id, filename, *args, **kwargs)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_grant)
    # the simulation bites: pricing a gated candidate first stops the loop
    with pytest.raises(Exception, match="gated|restricted|grant|access"):
        cu.plan("meta-llama/Llama-3.1-8B-Instruct", gpu="T4", seq_len=part8.Q3_CONTEXT)
    namespace = {"cu": cu, "part8": part8}
    exec(part8.q3.solution_text, namespace)  # the solution as a learner pastes it
    printed = capsys.readouterr().out
    assert "meta-llama/Llama-3.1-8B-Instruct llama3.1 -> not priced" in printed
    assert "google/gemma-2-2b-it" in printed and "not priced" in printed.split("google/")[1]
    assert "Qwen/Qwen2.5-7B-Instruct permissive nf4" in printed
    right(part8.q3, namespace["answer"])


def test_q3_too_big_at_long_context(monkeypatch):
    """A model whose license would do but whose KV cache does not fit is refused for its size."""
    real = part8._q3_facts

    def llama_permissive():
        facts = dict(real())
        lic, _ = facts["meta-llama/Llama-3.1-8B-Instruct"]
        # at 128k tokens its KV cache alone outgrows a T4 in every precision
        too_long = cu.plan("meta-llama/Llama-3.1-8B-Instruct", gpu="T4", seq_len=131072)
        assert too_long.choice is None
        facts["meta-llama/Llama-3.1-8B-Instruct"] = (
            type(lic)(**{**lic.__dict__, "category": "permissive"}),
            too_long,
        )
        return facts

    monkeypatch.setattr(part8, "_q3_facts", llama_permissive)
    wrong(part8.q3, ("meta-llama/Llama-3.1-8B-Instruct", "nf4"), says="does not fit")


_LOADED: dict[str, object] = {}


@pytest.fixture(scope="module", autouse=True)
def _free_the_loaded_models():
    yield
    _LOADED.clear()


def _smol(quant=None, **kw):
    """SmolLM2 loaded as a learner would, once per distinct call in this module: a 4-bit load
    quantizes on the CPU for about 3 s, and the checkers only read the model (their forward
    hook is removed again)."""
    from transformers import AutoModelForCausalLM

    key = repr(sorted(kw.items())) + (quant.to_json_string() if quant is not None else "")
    if key not in _LOADED:
        if quant is not None:
            kw["quantization_config"] = quant
        _LOADED[key] = AutoModelForCausalLM.from_pretrained(part8.Q4_MODEL, **kw)
    return _LOADED[key]


def test_q4_chooses_under_a_budget():
    """The learner's from_pretrained call is judged by the model it returns: measured bytes
    against the budget, the hot forward pass, then the format."""
    from transformers import BitsAndBytesConfig

    def nf4(**kw):
        base = dict(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.float32,
        )
        return BitsAndBytesConfig(**(base | kw))

    right(part8.q4, _smol(nf4(), dtype=torch.float32, device_map="auto"))
    # the compute dtype spelled as a string, and no device_map: the same model
    right(part8.q4, _smol(nf4(bnb_4bit_compute_dtype="float32"), dtype=torch.float32))

    # fits easily (float16 elsewhere) but overflows between the layers
    wrong(part8.q4, _smol(nf4(), dtype=torch.float16), says="dtype=torch.float32")
    # float32 block scales: 165.1 MiB, over the budget
    wrong(
        part8.q4,
        _smol(nf4(bnb_4bit_use_double_quant=False), dtype=torch.float32),
        says="double_quant",
    )
    # the guides' one-liner: fp4, no double quant: over the budget too
    wrong(part8.q4, _smol(BitsAndBytesConfig(load_in_4bit=True), dtype=torch.float32), says="MiB")
    # fp4 with double quant fits and is finite, but rounds more than nf4
    wrong(
        part8.q4,
        _smol(nf4(bnb_4bit_quant_type="fp4"), dtype=torch.float32),
        says="section 2 measures both",
    )
    wrong(
        part8.q4,
        _smol(nf4(bnb_4bit_compute_dtype=torch.bfloat16), dtype=torch.float32),
        says="emulates",
    )
    # float16 compute with float32 elsewhere: whether or not it stays finite, it rounds more
    wrong(
        part8.q4,
        _smol(nf4(bnb_4bit_compute_dtype=torch.float16), dtype=torch.float32),
        says="bnb_4bit_compute_dtype=torch.float32",
    )
    # the rest in bfloat16: finite, but a T4 only emulates it, the same reason as the compute dtype
    wrong(part8.q4, _smol(nf4(), dtype=torch.bfloat16), says="emulates")
    # 8-bit in float16 fits (156 MiB); layer 11's float16 output overflows once tripled
    wrong(
        part8.q4,
        _smol(BitsAndBytesConfig(load_in_8bit=True), dtype=torch.float16),
        says="down_proj output",
    )
    # 8-bit in bfloat16 fits and stays finite: refused for the same T4 reason as 4-bit bfloat16
    wrong(
        part8.q4,
        _smol(BitsAndBytesConfig(load_in_8bit=True), dtype=torch.bfloat16),
        says="emulates",
    )
    # 8-bit in float32 is finite, but its float32 embeddings take it to 210 MiB
    wrong(
        part8.q4, _smol(BitsAndBytesConfig(load_in_8bit=True), dtype=torch.float32), says="budget"
    )
    wrong(part8.q4, _smol(dtype=torch.float32), says="not quantized")
    # a layer left out of the quantization: the bytes give it away
    skip = nf4(llm_int8_skip_modules=["lm_head", "model.layers.29.mlp"])
    wrong(part8.q4, _smol(skip, dtype=torch.float32), says="budget")
    wrong(part8.q4, nf4(), says="the config")
    wrong(part8.q4, "HuggingFaceTB/SmolLM2-135M-Instruct", says="from_pretrained returned")


def test_q4_budget_separates_double_quant_by_measurement():
    """The budget sits between the two measured loads, not between two formula values."""
    from transformers import BitsAndBytesConfig

    def held(dq):
        config = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=dq,
            bnb_4bit_compute_dtype=torch.float32,
        )
        m = _smol(config, dtype=torch.float32)
        return m.get_memory_footprint() + part8._quant_state_bytes(m)

    budget = part8.Q4_BUDGET_MIB * 2**20
    assert held(True) <= budget < held(False)


@pytest.mark.parametrize("double_quant", [False, True])
def test_q4_measures_what_the_load_report_shows(double_quant):
    """q4 sends the learner to cu.load_model's report to count bytes: its 'bytes held' must be
    the checker's figure (footprint plus scales), on both sides of the budget."""
    loaded = cu.load_model(
        part8.Q4_MODEL, quantize="4bit", dtype=torch.float32, double_quant=double_quant,
        verbose=False,
    )  # fmt: skip
    m = loaded.model
    held = m.get_memory_footprint() + part8._quant_state_bytes(m)
    assert loaded.report.bytes_held == held
    assert (held <= part8.Q4_BUDGET_MIB * 2**20) is double_quant


def test_q4_hot_check_catches_an_overflow():
    """The hot forward pass itself tells float16 from float32 between the layers."""
    from transformers import BitsAndBytesConfig

    config = BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float32
    )
    assert part8._q4_hot_logits_finite(_smol(config, dtype=torch.float32))
    assert not part8._q4_hot_logits_finite(_smol(config, dtype=torch.float16))


def test_q4_8bit_overflow_is_in_the_output_not_the_input_cast():
    """What the 8-bit float16 message says, measured: layer 11's down_proj input is far inside
    float16 (the cast is harmless), its float16 output tripled is not."""
    from transformers import BitsAndBytesConfig

    m = _smol(BitsAndBytesConfig(load_in_8bit=True), dtype=torch.float16)
    seen = {}

    def watch(_mod, inp, out):
        seen["in"], seen["out"], seen["dtype"] = inp[0].abs().max().item(), out, out.dtype

    handle = m.model.layers[part8.Q4_HOT_LAYER].mlp.down_proj.register_forward_hook(watch)
    try:
        assert not part8._q4_hot_logits_finite(m)
    finally:
        handle.remove()
    # the watch hook ran before the checker's (x3) hook: seen["out"] is the plain output
    assert seen["dtype"] == torch.float16
    assert seen["in"] < 65_504 / 4
    plain = seen["out"].float().abs().max().item()
    assert plain < 65_504 < 3 * plain


def test_q4_hint_points_at_the_main_path():
    """q4 is solvable from section 2: its hint names section 2's last cell, not Going deeper."""
    assert "section 2's last cell" in part8.q4.hint_text
    assert "Going deeper" not in part8.q4.hint_text


def test_q3_float16_names_the_offload_row():
    """float16 at 32,768 tokens: the plan's offload row 'fits' only by streaming from CPU RAM."""
    wrong(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", "float16"), says="offload row 'fits' in float16")
    right(part8.q3, ("Qwen/Qwen2.5-7B-Instruct", "nf4"))


@pytest.mark.parametrize(
    ("answer", "says"),
    [(2011, "not 15e9 bytes"), (3231, "not 16e9 bytes"), (3444, "not params × 1")],
)
def test_q1_wrong_room_named(answer, says):
    """The price a token is right and the room is wrong: the message names the room."""
    wrong(part8.q1, answer, says=says)
    right(part8.q1, 3033)
