"""python -m course_utils: gpu, memory and license subcommands return exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.cli import main

QWEN7 = str(Path(__file__).parent / "configs" / "Qwen--Qwen2.5-7B-Instruct.json")


def test_memory_command(capsys):
    assert main(["memory", QWEN7, "--dtype", "4bit", "--gpu", "T4", "--seq-len", "4096"]) == 0
    out = capsys.readouterr().out
    assert "7,615,616,512" in out and "KV cache" in out and "use 8-bit" in out


def test_memory_command_bad_input(capsys):
    assert main(["memory", "7B", "--dtype", "float64"]) == 1
    assert "Accepted" in capsys.readouterr().err
    assert main(["memory", "7B", "--gpu", "Voodoo"]) == 1


def test_gpu_command(capsys):
    assert main(["gpu"]) == 0
    assert "load models in" in capsys.readouterr().out


def test_license_command_reads_the_stand_in_hub(capsys):
    assert main(["license", "Qwen/Qwen2.5-7B-Instruct"]) == 0
    out = capsys.readouterr().out
    assert (
        out.startswith("Qwen/Qwen2.5-7B-Instruct") and "apache-2.0" in out and "permissive" in out
    )
    assert main(["license", "nobody-here/no-such-model"]) == 1
    assert "not in the local cache" in capsys.readouterr().err


def test_usage_error_and_module_entry_point():
    with pytest.raises(SystemExit):
        main(["frobnicate"])
    done = subprocess.run(
        [sys.executable, "-m", "course_utils", "memory", "0.5B", "--dtype", "fp16"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "500,000,000" in done.stdout and "not needed" in done.stdout
