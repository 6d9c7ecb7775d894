"""cu.stream_generate: the reader always ends. A failure injected inside generate (at the first,
a middle and the last new token) comes back to the reader within seconds; a stop event, or a
reader that lets go, stops generate early; no new text for `timeout` seconds is a clear error.
The model is the stand-in Hub's tiny Qwen2 (random weights; only the token count matters)."""

from __future__ import annotations

import threading
import time

import pytest

import course_utils as cu
from course_utils.streaming import GenerationTimeoutError

MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
NEW = 12  # tokens per answer: min_new_tokens=max_new_tokens, so the length is known
MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def chat():
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(MODEL), AutoTokenizer.from_pretrained(MODEL)


def fail_at(model, call: int, delay: float = 0.0):
    """Make the model's `call`-th forward pass (the one that chooses token `call`) raise."""
    calls = []

    def hook(module, args, kwargs):
        calls.append(1)
        time.sleep(delay)
        if len(calls) == call:
            raise RuntimeError("CUDA out of memory (injected for the test)")

    return model.register_forward_pre_hook(hook, with_kwargs=True), calls


def generate_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "stream_generate"]


def wait_until_no_generate(limit: float = 5.0) -> bool:
    end = time.monotonic() + limit
    while generate_threads() and time.monotonic() < end:
        time.sleep(0.05)
    return not generate_threads()


def test_a_whole_answer_streams_and_is_counted(chat):
    model, tok = chat
    stream = cu.stream_generate(
        model, tok, MESSAGES, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False
    )
    pieces = list(stream)
    assert pieces and all(pieces)
    assert stream.new_tokens == NEW and stream.cut and not stream.stopped
    assert wait_until_no_generate()
    again = cu.stream_generate(
        model, tok, MESSAGES, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False
    )
    assert list(again) == pieces  # greedy: the same pieces again


def test_an_answer_that_ends_by_itself_is_not_cut(chat):
    model, tok = chat
    stream = cu.stream_generate(
        model,
        tok,
        MESSAGES,
        max_new_tokens=NEW,
        do_sample=False,
        eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
        min_new_tokens=3,
    )
    # random weights: whether it ends early is unknown, but the flag must agree with the count
    list(stream)
    assert stream.cut == (stream.new_tokens >= NEW)


@pytest.mark.parametrize("call", [1, NEW // 2, NEW], ids=["first", "middle", "last"])
def test_a_failure_inside_generate_reaches_the_reader(chat, call):
    model, tok = chat
    handle, calls = fail_at(model, call)
    got = []
    start = time.monotonic()
    try:
        with pytest.raises(RuntimeError, match="out of memory"):
            for piece in cu.stream_generate(
                model,
                tok,
                MESSAGES,
                max_new_tokens=NEW,
                min_new_tokens=NEW,
                do_sample=False,
                timeout=30,
            ):
                got.append(piece)
    finally:
        handle.remove()
    assert time.monotonic() - start < 10  # not the 30 s timeout: the error itself ended it
    assert len(calls) == call
    if call == 1:
        assert got == []
    assert wait_until_no_generate()
    # the next request works
    assert list(cu.stream_generate(model, tok, MESSAGES, max_new_tokens=4, do_sample=False))


def test_a_stop_event_ends_generate_early(chat):
    model, tok = chat
    stop = threading.Event()
    handle, calls = fail_at(model, call=10**6, delay=0.2)  # slow: 0.2 s per token, never fails
    try:
        stream = cu.stream_generate(
            model,
            tok,
            MESSAGES,
            max_new_tokens=200,
            min_new_tokens=200,
            do_sample=False,
            stop_event=stop,
        )
        start = time.monotonic()
        for _ in stream:
            stop.set()  # the user pressed Stop after the first piece
    finally:
        handle.remove()
    assert time.monotonic() - start < 5
    assert stream.stopped and not stream.cut and stream.new_tokens < 200
    assert len(calls) < 200
    assert wait_until_no_generate()


def test_a_reader_that_lets_go_stops_generate(chat):
    model, tok = chat
    handle, calls = fail_at(model, call=10**6, delay=0.2)
    try:
        stream = cu.stream_generate(
            model, tok, MESSAGES, max_new_tokens=200, min_new_tokens=200, do_sample=False
        )
        reader = iter(stream)
        next(reader)
        reader.close()  # what Gradio does to a generator when the user presses Stop
        assert wait_until_no_generate(5.0)
        assert stream.stopped and not stream.cut
    finally:
        handle.remove()
    assert len(calls) < 200


def test_no_new_text_within_the_timeout_is_a_course_error(chat):
    model, tok = chat
    handle, _ = fail_at(model, call=10**6, delay=3.0)  # every forward pass takes 3 s
    start = time.monotonic()
    try:
        with pytest.raises(GenerationTimeoutError, match="no new text for 0.5 s"):
            list(
                cu.stream_generate(
                    model, tok, MESSAGES, max_new_tokens=50, timeout=0.5, do_sample=False
                )
            )
        assert time.monotonic() - start < 6
        assert issubclass(GenerationTimeoutError, cu.CourseError)
        assert wait_until_no_generate(8.0)  # the forward pass under way finishes, then it stops
    finally:
        handle.remove()


def test_a_stream_is_read_once_and_a_plain_string_is_refused(chat):
    model, tok = chat
    stream = cu.stream_generate(model, tok, MESSAGES, max_new_tokens=2, do_sample=False)
    list(stream)
    with pytest.raises(cu.CourseError, match="already read"):
        list(stream)
    with pytest.raises(cu.CourseError, match="list of chat messages"):
        list(cu.stream_generate(model, tok, "hello", max_new_tokens=2))
