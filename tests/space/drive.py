"""Drive a running Space with gradio_client, as a visitor's browser would, and print what came
back as JSON (tests/test_space_app.py judges it). Runs in the Space's own venv.

usage: python drive.py URL FAIL_FLAG IMAGE
"""

import json
import sys
import time
from pathlib import Path

from gradio_client import Client, handle_file

url, flag, image = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
client = Client(url, verbose=False)
results = {
    "api": sorted(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
}


def call(name, *args, api_name):
    start = time.perf_counter()
    try:
        value, error = client.predict(*args, api_name=api_name), None
    except Exception as exc:  # gradio_client raises AppError with the app's gr.Error message
        value, error = None, f"{type(exc).__name__}: {exc}"
    results[name] = {"value": value, "error": error, "seconds": time.perf_counter() - start}
    return value


def submit(name, *args, api_name):
    """Like call, and keeps every output the function yielded: what the page showed, in order
    (after an error, the page keeps the last one)."""
    start = time.perf_counter()
    job = client.submit(*args, api_name=api_name)
    try:
        value, error = job.result(), None
    except Exception as exc:
        value, error = None, f"{type(exc).__name__}: {exc}"
    outputs = [list(o) for o in job.outputs()]
    results[name] = {
        "value": value,
        "error": error,
        "outputs": outputs,
        "seconds": time.perf_counter() - start,
    }
    return outputs


box, chat, _ = call("chat 1", "Remember the word banana.", [], api_name="/respond") or ("", [], "")
call("chat 2", "What word did I ask you to remember?", chat, api_name="/respond")
call("chat cut", "Tell me a long story about a dragon.", [], api_name="/respond")
call("chat empty", "   ", [], api_name="/respond")
call("sentiment", "I loved every minute.", api_name="/sentiment")
call("sentiment empty", "   ", api_name="/sentiment")
call("sentiment too long", "x" * 501, api_name="/sentiment")
call("image", handle_file(image), api_name="/classify_image")
call("image missing", None, api_name="/classify_image")
flag.touch()  # the next answer fails in the middle; it comes after turn one of the first chat
shown = submit("chat fails mid-answer", "What is the capital of France?", chat, api_name="/respond")
results["flag left"] = flag.exists()
# the next turn, as the browser sends it: the box and the chat the page holds after the error
page_box, page_chat = shown[-1][:2] if shown else ("", chat)
call("chat after the failure", page_box, page_chat, api_name="/respond")
print(json.dumps(results))
