"""Start a written Space's app.py for tests/test_space_app.py, in the Space's own venv.

Runs app.py as a module (it loads its models), adds one fault for the test to switch on, then
launches its `demo` on 127.0.0.1, as `python app.py` would on a Space. The fault: while the file
FAIL_FLAG exists, the chat model's sixth forward pass raises (a few words of the answer are on
the page by then), as a GPU running out of memory in the middle of an answer would; the flag
is removed when it fires, so the next request works.

usage: python serve.py SPACE_DIR PORT FAIL_FLAG
"""

import os
import runpy
import sys
from pathlib import Path

space, port, flag = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
os.chdir(space)  # a Space runs from its folder (the examples' paths are relative)
sys.path.insert(0, str(space))
app = runpy.run_path(str(space / "app.py"), run_name="space_app")
calls = []


def fail_mid_answer(module, args, kwargs):
    if not flag.exists():
        calls.clear()
        return
    calls.append(1)
    if len(calls) == 6:
        calls.clear()
        flag.unlink()
        raise RuntimeError("CUDA out of memory (injected by the test)")


app["chat_model"].register_forward_pre_hook(fail_mid_answer, with_kwargs=True)
print("models loaded", flush=True)
app["demo"].launch(server_name="127.0.0.1", server_port=port)
