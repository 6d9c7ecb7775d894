"""What hardware is this runtime? The GPU check every notebook starts with (every part calls it).

``import course_utils`` stays cheap: torch is imported only inside ``gpu_report()``.
Memory sizes here are in GiB (2**30 bytes), the unit ``nvidia-smi`` and torch report.
"""

from __future__ import annotations

import html
import platform
import re
from dataclasses import dataclass, field

from ._display import GIB, Table
from .errors import BadInputError, NoGPUError

COLAB_SWITCH = (
    "On Colab: Runtime → Change runtime type → Hardware accelerator: T4 GPU → Save, then run "
    "the notebook again from the top (switching restarts the runtime). Elsewhere: install a CUDA "
    "build of PyTorch on a machine with an NVIDIA GPU."
)


@dataclass(frozen=True)
class GPU:
    """A card learners meet: memory, what a program can use, bandwidth, compute capability."""

    name: str
    memory_gib: float  # what the box says
    # about what torch.cuda reports as total on that card (driver/ECC reserve taken off)
    usable_gib: float
    # memory bandwidth, GB/s (vendor data sheet); bounds tokens/s when generating
    bandwidth_gb_s: int
    compute_capability: tuple[int, int]

    @property
    def usable_bytes(self) -> int:
        return int(self.usable_gib * GIB)

    @property
    def bf16_native(self) -> bool:
        """bf16 runs natively from compute capability 8.0 (Ampere) on."""
        return self.compute_capability >= (8, 0)


# Vendor data sheets for memory, bandwidth and compute capability; "usable" is the total memory
# torch reports on such a card, before the CUDA context (the T4's 16 GiB shows up as 14.75 GiB on
# Colab: the figure in its out-of-memory messages; the others are rounded from reports).
GPUS: dict[str, GPU] = {
    g.name: g
    for g in [
        GPU("T4", 16, 14.75, 320, (7, 5)),  # Colab free tier
        GPU("V100", 16, 15.7, 900, (7, 0)),
        GPU("L4", 24, 22.0, 300, (8, 9)),  # Colab Pro
        GPU("A10G", 24, 22.0, 600, (8, 6)),  # AWS g5, Hugging Face Spaces
        GPU("RTX 3090", 24, 23.5, 936, (8, 6)),
        GPU("RTX 4090", 24, 23.5, 1008, (8, 9)),
        GPU("A100-40GB", 40, 39.4, 1555, (8, 0)),  # Colab Pro
        GPU("A100-80GB", 80, 79.1, 2039, (8, 0)),
        GPU("H100", 80, 79.1, 3350, (9, 0)),  # SXM; the PCIe card has 2000 GB/s
    ]
}
_CARD_ALIASES = {"A100": "A100-40GB", "3090": "RTX 3090", "4090": "RTX 4090", "A10": "A10G"}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _as_torch_names_it(name: str) -> GPU | None:
    """A card from the name torch reports ("Tesla T4", "NVIDIA H100 80GB HBM3"), or None."""
    plain = re.sub(r"^\s*(nvidia\s*)?(tesla\s*)?(geforce\s*)?", "", name, flags=re.I)
    plain = _key(re.sub(r"[-\s]*(sxm\d?|pcie|nvl)\b", "", plain, flags=re.I))
    for known in sorted(GPUS, key=lambda k: -len(_key(k))):  # "H100 80GB HBM3" is an H100
        if plain and plain.startswith(_key(known)):
            return GPUS[known]
    return None


def find_gpu(name: str) -> GPU:
    """Find a card in GPUS by name, forgiving case, spaces and dashes ("rtx4090", "a100-80gb")."""
    if isinstance(name, GPU):
        return name
    if isinstance(name, str):
        for candidate in [name, _CARD_ALIASES.get(name.upper(), "")]:
            for known, gpu in GPUS.items():
                if candidate and _key(candidate) == _key(known):
                    return gpu
        known = _as_torch_names_it(name)
        if known is not None:
            return known
    raise BadInputError(
        f"Unknown GPU {name!r}. Use one of {', '.join(GPUS)} or give its memory as a number of GiB "
        "(for example gpu=12)."
    )


def _versions() -> dict[str, str]:
    """Versions of the packages the course depends on, read without importing them."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ["torch", "transformers", "accelerate", "bitsandbytes", "huggingface_hub"]:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


# On a CPU the dtype to load in depends on its instructions. Without bf16 ones (most laptops;
# the course's earlier AVX2 test machine) float32 is the fast choice: SmolLM2-135M answered a
# 51-token chat prompt at 15.5 tok/s in float32 against 13.0 in bfloat16 (one thread), and a
# 128-token prompt pass was 7x slower in bf16. With AVX512-BF16 or AMX (Linux /proc/cpuinfo flags
# avx512_bf16, amx_bf16) bfloat16 wins: on a 2-core AMD EPYC with AVX512-BF16, SmolLM2-135M,
# 2 threads, best of 3: generating 32 tokens 23.0 tok/s in float32 against 40.9 in bfloat16, a
# 1,000-token prefill 531 against 1,247 tok/s. bfloat16 also halves the memory, so pass
# dtype="bfloat16" when RAM, not speed, is what runs out.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (Linux, Colab); empty elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_dtype() -> str:
    """bfloat16 on a CPU with bf16 instructions (AVX512-BF16 or AMX), float32 otherwise."""
    return "bfloat16" if cpu_flags() & set(BF16_CPU_FLAGS) else "float32"


CPU_DTYPE = "float32"


@dataclass
class GPUReport(Table):
    """What ``gpu_report()`` found: the device, its memory, bf16 support, the dtype to load in."""

    available: bool
    name: str
    total_bytes: int = 0
    free_bytes: int = 0
    compute_capability: tuple[int, int] | None = None
    bf16_native: bool = False
    recommended_dtype: str = CPU_DTYPE
    versions: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def _rows(self) -> list[tuple[str, str]]:
        rows = [("device", self.name)]
        if self.available:
            cc = ".".join(map(str, self.compute_capability or ()))
            rows += [
                (
                    "memory",
                    f"{self.free_bytes / GIB:.1f} GiB free of {self.total_bytes / GIB:.1f} GiB",
                ),
                ("compute capability", cc),
                ("native bf16", "yes" if self.bf16_native else "no (compute capability < 8.0)"),
            ]
        rows.append(("load models in", self.recommended_dtype))
        rows.append(("versions", ", ".join(f"{k} {v}" for k, v in self.versions.items())))
        return rows

    def _after(self) -> list[str]:
        return [self.note] if self.note else []

    def _after_html(self) -> str:
        return f"<p>{html.escape(self.note)}</p>" if self.note else ""

    def __repr__(self) -> str:
        fields = f"available={self.available}, name={self.name!r}"
        return f"GPUReport({fields}, recommended_dtype={self.recommended_dtype!r})"


def gpu_report() -> GPUReport:
    """Check the GPU: name, free/total memory, compute capability, native bf16, the dtype to use.

    Parts 1, 2, 3, 4, 5, 6, 7, 8 and 9 use it (Part 1 teaches it; every setup cell calls it).
    bf16 is "native" only from compute capability 8.0 on: ``torch.cuda.is_bf16_supported()``
    can say True on a T4 through emulation, so this looks at the compute capability instead.
    """
    import torch

    versions = _versions()
    if not torch.cuda.is_available():
        return GPUReport(
            available=False,
            name=f"CPU only ({platform.processor() or platform.machine()})",
            recommended_dtype=cpu_dtype(),
            versions=versions,
            note="No GPU in this runtime: everything still runs, only slower. To get a free T4: "
            + COLAB_SWITCH,
        )
    index = torch.cuda.current_device()
    props = torch.cuda.get_device_properties(index)
    free, total = torch.cuda.mem_get_info(index)
    cc = (props.major, props.minor)
    native = cc >= (8, 0)
    return GPUReport(
        available=True,
        name=props.name,
        total_bytes=int(total),
        free_bytes=int(free),
        compute_capability=cc,
        bf16_native=native,
        recommended_dtype="bfloat16" if native else "float16",
        versions=versions,
        note="" if native else "This card has no native bf16: load models in float16.",
    )


def require_gpu() -> GPUReport:
    """Stop with a NoGPUError that says how to switch the Colab runtime when there is no CUDA GPU.

    Part 1 uses it; GPU-only steps can call it to stop with the fix.
    """
    report = gpu_report()
    if not report.available:
        raise NoGPUError("This step needs a CUDA GPU and this runtime has none. " + COLAB_SWITCH)
    return report
