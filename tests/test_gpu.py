"""course_utils.gpu: the report on this (CPU-only) machine, a faked GPU, and the card table."""

from __future__ import annotations

import pytest

import course_utils as cu
from course_utils.errors import BadInputError, NoGPUError


def test_report_on_cpu(monkeypatch):
    import torch

    from course_utils import gpu

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(gpu, "cpu_flags", lambda: {"avx2", "fma"})
    r = cu.gpu_report()
    assert not r.available and r.recommended_dtype == "float32"
    assert "Runtime → Change runtime type" in r.note and "T4" in r.note
    assert set(r.versions) == {
        "python",
        "torch",
        "transformers",
        "accelerate",
        "bitsandbytes",
        "huggingface_hub",
    }
    assert "float32" in str(r) and "<table>" in r._repr_html_()
    with pytest.raises(NoGPUError, match="Change runtime type"):
        cu.require_gpu()


class _Props:
    def __init__(self, name, major, minor):
        self.name, self.major, self.minor = name, major, minor


@pytest.mark.parametrize(
    "name,cc,dtype",
    [("Tesla T4", (7, 5), "float16"), ("NVIDIA A100-SXM4-40GB", (8, 0), "bfloat16")],
)
def test_report_on_a_faked_gpu(monkeypatch, name, cc, dtype):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(
        torch.cuda, "is_bf16_supported", lambda *a, **k: True
    )  # emulation says yes on a T4
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: _Props(name, *cc))
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda i: (14 * 2**30, 15 * 2**30))
    r = cu.require_gpu()
    assert r.available and r.name == name and r.compute_capability == cc
    assert r.recommended_dtype == dtype and r.bf16_native == (cc >= (8, 0))
    assert "14.0 GiB free of 15.0 GiB" in str(r)


def test_card_table():
    t4 = cu.GPUS["T4"]
    assert (t4.memory_gib, t4.usable_gib, t4.bandwidth_gb_s, t4.compute_capability) == (
        16,
        14.75,
        320,
        (7, 5),
    )
    assert not t4.bf16_native and cu.GPUS["L4"].bf16_native
    for name in ["L4", "A10G", "V100", "A100-40GB", "A100-80GB", "H100", "RTX 3090", "RTX 4090"]:
        assert cu.GPUS[name].usable_gib < cu.GPUS[name].memory_gib
    from course_utils.gpu import find_gpu

    assert (
        find_gpu("rtx4090").name == "RTX 4090"
        and find_gpu("Tesla T4").name == "T4"
        and find_gpu("a100").name == "A100-40GB"
    )
    with pytest.raises(BadInputError, match="T4"):
        find_gpu("Voodoo 2")


@pytest.mark.parametrize(
    "flags,dtype",
    [({"avx2"}, "float32"), ({"avx2", "avx512_bf16"}, "bfloat16"), ({"amx_bf16"}, "bfloat16"),
     (set(), "float32")],
)  # fmt: skip
def test_cpu_recommendation_follows_the_bf16_flags(monkeypatch, flags, dtype):
    import torch

    from course_utils import gpu

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(gpu, "cpu_flags", lambda: flags)
    assert cu.gpu_report().recommended_dtype == dtype


def test_cpu_flags_reads_this_machine():
    from course_utils import gpu

    flags = gpu.cpu_flags()
    assert isinstance(flags, set)
    assert gpu.cpu_dtype() == ("bfloat16" if flags & {"avx512_bf16", "amx_bf16"} else "float32")


@pytest.mark.parametrize(
    "reported, card",
    [
        ("NVIDIA H100 80GB HBM3", "H100"),
        ("Tesla T4", "T4"),
        ("NVIDIA A100-SXM4-40GB", "A100-40GB"),
        ("NVIDIA A100-SXM4-80GB", "A100-80GB"),
        ("NVIDIA GeForce RTX 4090", "RTX 4090"),
    ],
)
def test_names_torch_reports_are_found_by_fits_and_plan(reported, card):
    """torch.cuda.get_device_name() spells cards this way; fits/plan take the name as it comes."""
    from course_utils.gpu import find_gpu

    assert find_gpu(reported) is cu.GPUS[card]
    assert cu.fits(1e9, reported, dtype="float16") is cu.fits(1e9, card, dtype="float16")
