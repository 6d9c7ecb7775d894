"""The classroom hub's checks, sizing, links and Kubernetes values (issue 30), without a hub.

scripts/hub_classroom.py refuses bad input before anything starts; the sizing follows the
course's measurements; the nbgitpuller links open the course's notebooks; the Zero to JupyterHub
values file passes the chart's own schema (tests/data/z2jh-4.4.0) and carries the sizing's
numbers. The room itself, with real learners, is tests/test_classroom_hub.py.
"""

from __future__ import annotations

import copy
import json
import os
import pwd
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import hub_classroom as hc  # noqa: E402

Z2JH = ROOT / "tests" / "data" / "z2jh-4.4.0"
VALUES = ROOT / "classroom" / "z2jh-config.yaml"
ROOM = (30, "1-9")  # the room z2jh-config.yaml is sized for


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "hub_classroom.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A prefetched-looking HF_HOME: hub/ with a file, readable by all, writable by its owner."""
    home = tmp_path / "hf-home"
    (home / "hub" / "models--a--b").mkdir(parents=True)
    (home / "hub" / "models--a--b" / "config.json").write_text("{}")
    for path in [home, *home.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    tmp_path.chmod(0o755)
    return home


def learners(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "learners.txt"
    path.write_text(text)
    return path


# --- bad input: a clear message, nothing started ------------------------------------------------
def test_learner_list_refuses_duplicates_and_bad_names(tmp_path):
    assert hc.read_learners(learners(tmp_path, "ana\n# a comment\nben  # twins\n\n")) == [
        "ana",
        "ben",
    ]
    with pytest.raises(
        hc.ClassroomError, match=r"line 3: 'ana' is listed twice \(first on line 1\)"
    ):
        hc.read_learners(learners(tmp_path, "ana\nben\nana\n"))
    for bad in ("Ana", "1ana", "ana lopez", "ana/../root", "a" * 32, "ana;rm"):
        with pytest.raises(hc.ClassroomError, match="cannot be a learner's account name"):
            hc.read_learners(learners(tmp_path, f"ben\n{bad}\n"))
    with pytest.raises(hc.ClassroomError, match="names nobody"):
        hc.read_learners(learners(tmp_path, "# nobody yet\n"))


def test_an_existing_account_is_not_a_learner():
    with pytest.raises(hc.ClassroomError, match="'root' is already an account on this machine"):
        hc.check_accounts(["root"])
    hc.check_accounts(["clr-surely-not-an-account"])


def test_cache_missing_or_writable_by_learners(tmp_path, cache):
    hc.check_cache(cache)
    with pytest.raises(hc.ClassroomError, match="has no hub/ folder: prefetch the course"):
        hc.check_cache(tmp_path / "nowhere")
    shared = cache / "hub" / "models--a--b"
    shared.chmod(0o775)
    with pytest.raises(hc.ClassroomError, match="writable by its group. Run `chmod -R go-w"):
        hc.check_cache(cache)
    shared.chmod(0o755)
    (shared / "config.json").chmod(0o666)
    with pytest.raises(hc.ClassroomError, match="config.json is writable by everyone"):
        hc.check_cache(cache)
    (shared / "config.json").chmod(0o600)
    with pytest.raises(hc.ClassroomError, match="Learners cannot read the model cache"):
        hc.check_cache(cache)


def test_port_in_use():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(hc.ClassroomError, match=f"Port {port} on 127.0.0.1 is in use"):
            hc.check_ports("127.0.0.1", port)


def test_too_little_memory_for_the_room():
    sizing = hc.size(100, "1-9")
    with pytest.raises(hc.ClassroomError) as err:
        hc.check_memory(sizing, total_mb=24 * 1024)
    msg = str(err.value)
    assert f"100 learners running parts 1-9 need at least {sizing.ram_mb / 1024:.1f} GiB" in msg
    assert "this machine has 24.0 GiB" in msg
    most = (24 * 1024 - hc.HUB_MB - hc.SYSTEM_MB) // sizing.guarantee_mb
    assert f"Run at most {most} learners here" in msg
    hc.check_memory(hc.size(most, "1-9"), total_mb=24 * 1024)  # that many fit


@pytest.mark.skipif(os.geteuid() != 0, reason="the command checks as root (it creates accounts)")
@pytest.mark.parametrize(
    "case, expected",
    [
        ("duplicate", "'clr-a' is listed twice"),
        ("invalid", "'Clr A' cannot be a learner's account name"),
        ("no cache", "has no hub/ folder"),
        ("writable cache", "must be read-only for learners"),
        ("port", "is in use"),
        ("memory", "need at least"),
    ],
)
def test_the_command_refuses_before_anything_starts(tmp_path, cache, case, expected):
    names = {"duplicate": "clr-a\nclr-a\n", "invalid": "clr-a\nClr A\n"}.get(case, "clr-a\n")
    args = [
        "--learners",
        str(learners(tmp_path, names)),
        "--cache",
        str(cache),
        "--ip",
        "127.0.0.1",
        "--state",
        str(tmp_path / "state"),
    ]
    if case == "no cache":
        args[3] = str(tmp_path / "empty")
    if case == "writable cache":
        (cache / "hub").chmod(0o777)
    if case == "memory":
        args += ["--total-mb", "2048"]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        free = busy.getsockname()[1] + 10
        args += ["--port", str(busy.getsockname()[1] if case == "port" else free)]
        done = cli("start", *args)
    assert done.returncode == 1, done
    assert done.stderr.startswith("error: ") and expected in done.stderr, done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "state").exists()
    with pytest.raises(KeyError):
        pwd.getpwnam("clr-a")  # no account was created


# --- sizing --------------------------------------------------------------------------------------
def test_sizing_follows_the_measured_parts():
    one = hc.size(1, "1")
    assert one.guarantee_mb == one.per_learner_mb >= (hc.PART_PEAK_MB[1] + hc.SERVER_MB)
    s = hc.size(30, "1-9")
    # the limit holds the two heaviest kernels (Parts 8 and 9), the guarantee one (Part 8)
    assert s.per_learner_mb >= hc.PART_PEAK_MB[8] + hc.PART_PEAK_MB[9] + hc.SERVER_MB
    assert s.guarantee_mb >= hc.PART_PEAK_MB[8] + hc.SERVER_MB
    assert s.ram_mb == 30 * s.guarantee_mb + hc.HUB_MB + hc.SYSTEM_MB
    assert s.cores * hc.ROOM_WAIT_S >= 30 * hc.PART_CPU_S[8] > (s.cores - 1) * hc.ROOM_WAIT_S
    assert hc.size(100, "1-9").cores > s.cores > hc.size(10, "1-9").cores
    # Part 2 loads no model: no GPU memory; Part 6 holds SmolLM2 and Qwen2.5-0.5B in float32
    assert hc.size(5, "2").gpu_mb == 0
    assert hc.size(1, "6").gpu_mb_per_learner == 2398  # (134.5 M + 494.0 M) x 4 B = 2397.7 MiB
    with pytest.raises(hc.ClassroomError, match="at least 1 learner"):
        hc.size(0, "1")
    out = cli("size", "--learners", "30", "--parts", "1-9")
    assert out.returncode == 0 and "CPU cores            21" in out.stdout, out


def test_the_table_covers_every_part_the_course_has():
    assert set(hc.PART_CPU_S) == set(hc.PART_PEAK_MB) == set(hc.COURSE_DOWNLOADS)
    loaded = {
        d.repo_id for ds in hc.COURSE_DOWNLOADS.values() for d in ds if d.files == hc.MODEL_FILES
    }
    assert loaded == set(hc.PARAMS)


# --- links ---------------------------------------------------------------------------------------
def test_link_opens_the_part_in_jupyterlab():
    repo = "https://github.com/practical-pytorch/practical-pytorch"
    link = hc.notebook_link("https://hub.example.org/", repo, "main", 4)
    parts = urlsplit(link)
    assert parts.path == "/hub/user-redirect/git-pull"
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q == {
        "repo": repo,
        "branch": "main",
        "urlpath": "lab/tree/practical-pytorch/notebooks/04_pipelines.ipynb",
    }
    assert (ROOT / "notebooks" / "04_pipelines.ipynb").is_file()
    folder = hc.notebook_link("http://h", repo + ".git")
    assert "urlpath=lab%2Ftree%2Fpractical-pytorch.git%2Fnotebooks" in folder  # nbgitpuller's dir
    with pytest.raises(hc.ClassroomError, match="no part 10"):
        hc.notebook_link("http://h", repo, part=10)
    out = cli("link", "--hub", "http://h", "--repo", repo, "--part", "1")
    assert out.returncode == 0 and out.stdout.strip().endswith("01_hello_gpu.ipynb"), out


# --- Kubernetes ----------------------------------------------------------------------------------
def _helm_merge(base: dict, over: dict) -> dict:
    """Helm's coalescing of user values into the chart's defaults: maps merge, the rest replaces,
    null deletes."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _helm_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _chart_validate(values: dict) -> None:
    import jsonschema

    schema = json.loads((Z2JH / "values.schema.json").read_text())
    defaults = yaml.safe_load((Z2JH / "values.yaml").read_text())
    jsonschema.validate(_helm_merge(defaults, values), schema)


def test_values_pass_the_charts_schema():
    import jsonschema

    values = yaml.safe_load(VALUES.read_text())
    _chart_validate(values)
    typo = copy.deepcopy(values)
    typo["singleuser"]["memmory"] = typo["singleuser"].pop("memory")
    with pytest.raises(jsonschema.ValidationError, match="'memmory' was unexpected"):
        _chart_validate(typo)
    wrong = copy.deepcopy(values)
    wrong["cull"]["timeout"] = "an hour"
    with pytest.raises(jsonschema.ValidationError):
        _chart_validate(wrong)


def test_values_make_the_same_choices_as_the_one_machine_hub():
    values = yaml.safe_load(VALUES.read_text())
    user = values["singleuser"]
    sizing = hc.size(*ROOM)
    assert user["memory"] == {
        "guarantee": f"{sizing.guarantee_mb}M",
        "limit": f"{sizing.per_learner_mb}M",
    }
    assert user["cpu"]["guarantee"] == round(sizing.cores / ROOM[0], 1)
    assert user["extraEnv"]["HF_HUB_OFFLINE"] == "1"
    assert user["defaultUrl"] == "/lab"
    mount = user["storage"]["extraVolumeMounts"][0]
    volume = user["storage"]["extraVolumes"][0]
    assert mount["readOnly"] is True and volume["persistentVolumeClaim"]["readOnly"] is True
    assert user["extraEnv"]["HF_HOME"] == mount["mountPath"]
    assert user["lifecycleHooks"]["postStart"]["exec"]["command"][0] == "gitpuller"
    assert values["cull"]["enabled"] is True
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"].endswith("FirstUseAuthenticator")
    assert config["FirstUseAuthenticator"]["create_users"] is False
    # the image: built from classroom/Dockerfile, whose single-user server matches the chart's hub
    dockerfile = (ROOT / "classroom" / "Dockerfile").read_text()
    assert "jupyterhub==5.5.0" in dockerfile and "nbgitpuller==" in dockerfile
    assert "5.5.0" in (Z2JH / "SOURCE.md").read_text()
    for copied in ("requirements.txt", "constraints.txt", "pyproject.toml", "course_utils"):
        assert copied in dockerfile and (ROOT / copied).exists()


def test_install_files_pin_what_facts_name():
    reqs = (ROOT / "classroom" / "requirements-hub.txt").read_text()
    assert "jupyterhub==6.1.1" in reqs and "jupyterhub-idle-culler==" in reqs
    package = json.loads((ROOT / "classroom" / "package.json").read_text())
    lock = json.loads((ROOT / "classroom" / "package-lock.json").read_text())
    assert package["dependencies"] == {"configurable-http-proxy": "5.3.0"}
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == "5.3.0"
