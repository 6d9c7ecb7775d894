"""A JupyterHub for the room (`make classroom`): size it, check it, create the learners, start it.

One machine, one JupyterHub (classroom/jupyterhub_config.py): FirstUseAuthenticator (a list of
learners, each sets a password on first login), one system account and home per learner
(LocalProcessSpawner), JupyterLab, the prefetched HF_HOME shared read-only with HF_HUB_OFFLINE=1,
the notebooks placed in each home by nbgitpuller, and jupyterhub-idle-culler. Everything that can
be refused is refused here, before anything starts. docs/INSTRUCTORS.md ("A JupyterHub for the
room") shows each command.

    python scripts/hub_classroom.py size --learners 30 --parts 1-9
    python scripts/hub_classroom.py link --hub https://hub.example.org --repo URL --part 4
    python scripts/hub_classroom.py start --learners learners.txt --cache /shared/hf-home
    python scripts/hub_classroom.py remove-accounts --learners learners.txt
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pwd
import re
import signal
import socket
import stat
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the course_utils of this checkout

from course_utils.downloads import COURSE_DOWNLOADS, MODEL_FILES, parse_parts  # noqa: E402
from course_utils.errors import CourseError  # noqa: E402

STATE = ROOT / ".classroom"  # the hub's venv, node_modules and run/ (gitignored)
CONFIG = ROOT / "classroom" / "jupyterhub_config.py"
MARK = "practical-pytorch classroom learner"  # the GECOS field of every account we create
NAME = re.compile(r"[a-z][a-z0-9_-]{0,30}")  # a portable POSIX user name, as JupyterHub stores it

MiB = 2**20

# --- what the course measured --------------------------------------------------------------------
# `make bench` (scripts/bench.py), docs/INSTRUCTORS.md section 3b: per part, the CPU seconds and the
# peak resident memory of one notebook's kernel on the stand-in Hub (Part 4 at load 0).
PART_CPU_S = {1: 16.0, 2: 10.2, 3: 17.8, 4: 35.1, 5: 14.1, 6: 66.2, 7: 60.3, 8: 83.1, 9: 32.4}
PART_PEAK_MB = {1: 439, 2: 390, 3: 504, 4: 575, 5: 492, 6: 1186, 7: 485, 8: 1647, 9: 1194}
# Measured by tests/test_classroom_hub.py (six learners, Parts 1 and 4, jupyterhub 6.1.1): the
# peak resident memory of one learner's jupyterhub-singleuser process without its kernels (131-138
# MB), and of the hub with its proxy and culler (233 MB); with room for a longer session.
SERVER_MB = 160
HUB_MB = 300
HEADROOM = 1.25  # over the measured peak: a learner re-runs cells, the stand-ins are small
SYSTEM_MB = 1024  # the operating system and the instructor's own shell
ROOM_WAIT_S = 120  # cores enough that the whole room runs a part at once within two minutes
KERNELS = 2  # kernels a learner holds at once: the part open now and the one before it

# Parameters of the real models the parts load, for the GPU memory maths: SmolLM2 and MiniLM
# counted in their real weights (the stand-in Hub ships them), Qwen2.5-0.5B built on the meta
# device from its real config (tests/configs), the others on the meta device from their
# architectures' configs (transformers' defaults are DistilBERT-base, ViT-base/16 and Whisper-tiny;
# BERT-base with the cased vocabulary and the 9 NER labels).
PARAMS = {
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english": 66_955_010,
    "distilbert/distilbert-base-uncased": 66_985_530,
    "dslim/bert-base-NER": 107_726_601,
    "sentence-transformers/all-MiniLM-L6-v2": 22_713_728,
    "HuggingFaceTB/SmolLM2-135M-Instruct": 134_515_008,
    "Qwen/Qwen2.5-0.5B-Instruct": 494_032_768,
    "google/vit-base-patch16-224": 86_567_656,
    "openai/whisper-tiny": 37_760_640,
    # BartForSequenceClassification at bart-large's shape with 3 labels, built on the meta device
    "facebook/bart-large-mnli": 407_344_131,
}


class ClassroomError(CourseError):
    """The room cannot start as asked: the message says what to change."""


@dataclass(frozen=True)
class Sizing:
    """What a room of ``learners`` running ``parts`` needs from one server.

    A learner who opens the next part without shutting the last one down holds two kernels (the
    classroom test measured exactly that): the limit allows the two heaviest parts at once, the
    guarantee one.
    """

    learners: int
    parts: list[int]
    guarantee_mb: int  # one kernel at the heaviest part's peak, with the server, x HEADROOM
    per_learner_mb: int  # the limit: the two heaviest parts' kernels at once, with the server
    ram_mb: int  # learners x guarantee + the hub + the system: the least this room needs
    ram_full_mb: int  # learners x limit + the hub + the system: everyone at the limit at once
    cores: int
    gpu_mb_per_learner: int  # float32 weights the two heaviest parts' kernels hold
    gpu_mb: int
    room_wait_s: float  # CPU time of the heaviest part, for everyone at once, on ``cores``

    def table(self) -> str:
        gib = 1024
        peaks = sorted((PART_PEAK_MB[p] for p in self.parts), reverse=True)[:KERNELS]
        lines = [
            f"A room of {self.learners} learners, parts {_ranges(self.parts)}:",
            f"  memory per learner   guarantee {self.guarantee_mb / gib:.2f} GiB, limit "
            f"{self.per_learner_mb / gib:.2f} GiB (kernel peaks {' + '.join(map(str, peaks))} MB"
            f" + server {SERVER_MB} MB, x{HEADROOM})",
            f"  RAM                  {self.ram_mb / gib:.1f} GiB, {self.ram_full_mb / gib:.1f} GiB"
            f" for everyone at the limit at once (hub {HUB_MB} MB, system {SYSTEM_MB} MB)",
            f"  CPU cores            {self.cores} (the heaviest part for everyone at once in"
            f" about {self.room_wait_s:.0f} s of CPU time per core)",
        ]
        if self.gpu_mb:
            lines.append(
                f"  GPU memory           {self.gpu_mb / gib:.1f} GiB ({self.gpu_mb_per_learner} MB"
                " of float32 weights per learner; plus each kernel's CUDA context, not measured)"
            )
        return "\n".join(lines)


def size(learners: int, parts: str | list[int] = "1-9") -> Sizing:
    """RAM, cores and GPU memory for ``learners`` running ``parts``, from the measured costs."""
    if isinstance(learners, bool) or not isinstance(learners, int) or learners < 1:
        raise ClassroomError(f"A room needs at least 1 learner, not {learners!r}.")
    chosen = parse_parts(parts)
    peaks = sorted((PART_PEAK_MB[p] for p in chosen), reverse=True)
    guarantee = _round_up((peaks[0] + SERVER_MB) * HEADROOM, 64)
    limit = _round_up((sum(peaks[:KERNELS]) + SERVER_MB) * HEADROOM, 64)
    cpu_s = max(PART_CPU_S[p] for p in chosen)
    cores = max(1, math.ceil(learners * cpu_s / ROOM_WAIT_S))
    gpu = sum(sorted((_gpu_mb(p) for p in chosen), reverse=True)[:KERNELS])
    return Sizing(
        learners=learners,
        parts=chosen,
        guarantee_mb=guarantee,
        per_learner_mb=limit,
        ram_mb=learners * guarantee + HUB_MB + SYSTEM_MB,
        ram_full_mb=learners * limit + HUB_MB + SYSTEM_MB,
        cores=cores,
        gpu_mb_per_learner=gpu,
        gpu_mb=learners * gpu,
        room_wait_s=learners * cpu_s / cores,
    )


def _gpu_mb(part: int) -> int:
    """float32 weights of every model the part loads (a kernel keeps them all), in MB."""
    models = {d.repo_id for d in COURSE_DOWNLOADS[part] if d.files == MODEL_FILES}
    return _round_up(sum(PARAMS[m] * 4 for m in models) / MiB, 1)


def _round_up(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)


def _ranges(parts: list[int]) -> str:
    if parts == list(range(parts[0], parts[-1] + 1)) and len(parts) > 2:
        return f"{parts[0]}-{parts[-1]}"
    return ",".join(map(str, parts))


# --- nbgitpuller links ---------------------------------------------------------------------------
def notebook_link(hub: str, repo: str, branch: str = "main", part: int | None = None) -> str:
    """The link that clones (first time) or updates the course in a learner's home, then opens
    JupyterLab on ``part``'s notebook (or on the notebooks folder)."""
    folder = repo.rstrip("/").split("/")[-1]  # nbgitpuller's folder: the last segment, as is
    target = f"lab/tree/{folder}/notebooks"
    if part is not None:
        target += "/" + _notebook_name(part)
    query = urlencode({"repo": repo, "branch": branch, "urlpath": target}, quote_via=quote)
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def _notebook_name(part: int) -> str:
    found = sorted((ROOT / "notebooks").glob(f"{part:02d}_*.ipynb"))
    if part not in COURSE_DOWNLOADS or not found:
        raise ClassroomError(f"The course has parts 1-9; there is no part {part}.")
    return found[0].name


# --- checks before anything starts ---------------------------------------------------------------
def read_learners(path: Path) -> list[str]:
    """One learner name a line ('#' starts a comment); refused: an invalid name, a duplicate."""
    if not path.is_file():
        raise ClassroomError(f"The learner list {path} does not exist: write one name a line.")
    names: list[str] = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        name = raw.split("#", 1)[0].strip()
        if not name:
            continue
        if not NAME.fullmatch(name):
            raise ClassroomError(
                f"{path}, line {number}: {name!r} cannot be a learner's account name. Use 1-31 "
                "lower-case letters, digits, '-' or '_', starting with a letter (e.g. 'ana' or "
                "'ana-lopez')."
            )
        if name in names:
            raise ClassroomError(
                f"{path}, line {number}: {name!r} is listed twice (first on line "
                f"{_line_of(path, name)}). Give each learner one distinct name."
            )
        names.append(name)
    if not names:
        raise ClassroomError(f"The learner list {path} names nobody: write one name a line.")
    return names


def _line_of(path: Path, name: str) -> int:
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        if raw.split("#", 1)[0].strip() == name:
            return number
    return 0


def _account(name: str) -> pwd.struct_passwd | None:
    """The system account ``name`` (its gecos field says whether the classroom made it), or None."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def check_accounts(names: list[str]) -> None:
    """A name that is already a system account we did not create (root, a staff member) is refused:
    the hub would start that person's server as that account."""
    for name in names:
        entry = _account(name)
        if entry is not None and MARK not in entry.pw_gecos:
            raise ClassroomError(
                f"{name!r} is already an account on this machine that the classroom did not create "
                f"(home {entry.pw_dir}). Give that learner another name (e.g. '{name}-1')."
            )


def check_cache(cache: Path) -> None:
    """The prefetched HF_HOME: present, readable by everyone, writable by no learner."""
    if not (cache / "hub").is_dir():
        raise ClassroomError(
            f"The model cache {cache} has no hub/ folder: prefetch the course into it first "
            f"(HF_HOME={cache} python -m course_utils prefetch), or pass the folder you prefetched "
            "into with --cache."
        )
    for folder, dirs, files in os.walk(cache):
        for name in [".", *dirs, *files]:
            path = Path(folder, name)
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                continue
            if mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise ClassroomError(
                    f"The model cache must be read-only for learners, but {path} is writable by "
                    f"{'everyone' if mode & stat.S_IWOTH else 'its group'}. Run "
                    f"`chmod -R go-w {cache}` and start again."
                )
            if not mode & stat.S_IROTH or (stat.S_ISDIR(mode) and not mode & stat.S_IXOTH):
                raise ClassroomError(
                    f"Learners cannot read the model cache: {path} is not readable by others. "
                    f"Run `chmod -R a+rX {cache}` and start again."
                )
            owner = path.lstat().st_uid
            if owner != 0 and _is_learner_uid(owner):
                raise ClassroomError(
                    f"{path} belongs to the learner account {pwd.getpwuid(owner).pw_name}, who "
                    f"could change it for everyone. Give the cache to the instructor (`chown -R "
                    f"root {cache}`) and start again."
                )


def _is_learner_uid(uid: int) -> bool:
    try:
        return MARK in pwd.getpwuid(uid).pw_gecos
    except KeyError:
        return False


def check_ports(ip: str, *ports: int) -> None:
    """Each port free on ``ip`` (the public one, the proxy's API, the hub's)."""
    for port in ports:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: a
            try:  # connection closed a moment ago (TIME_WAIT) does not hold the port
                s.bind((ip, port))
            except OSError as exc:
                raise ClassroomError(
                    f"Port {port} on {ip} is in use ({exc.strerror}): stop what holds it (`ss "
                    f"-ltnp 'sport = :{port}'` names it) or pick another with --port."
                ) from None


def check_memory(sizing: Sizing, total_mb: int | None = None) -> None:
    """Enough RAM on this machine for every learner's guarantee at once."""
    total_mb = total_mb if total_mb is not None else _total_mb()
    if sizing.ram_mb > total_mb:
        most = max(0, (total_mb - HUB_MB - SYSTEM_MB) // sizing.guarantee_mb)
        raise ClassroomError(
            f"{sizing.learners} learners running parts {_ranges(sizing.parts)} need at least "
            f"{sizing.ram_mb / 1024:.1f} GiB of RAM ({sizing.guarantee_mb} MB each), and this "
            f"machine has {total_mb / 1024:.1f} GiB. Run at most {most} "
            f"learner{'' if most == 1 else 's'} here, choose "
            "lighter parts with --parts, or use a bigger server (or Kubernetes: the Zero to "
            "JupyterHub values in classroom/z2jh-config.yaml)."
        )


def _total_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise ClassroomError("Cannot read this machine's memory from /proc/meminfo.")


def check_installed() -> None:
    """`make classroom` installs these; a bare `python scripts/hub_classroom.py start` may not."""
    for path, what in [
        (STATE / "venv" / "bin" / "jupyterhub", "jupyterhub"),
        (STATE / "node_modules" / ".bin" / "configurable-http-proxy", "configurable-http-proxy"),
    ]:
        if not path.exists():
            raise ClassroomError(f"{what} is not installed in {STATE}: run `make classroom`.")


# --- accounts ------------------------------------------------------------------------------------
def create_accounts(names: list[str], homes: Path) -> list[str]:
    """A system account and a private home (0700) per learner; returns the names created now."""
    created = []
    for name in names:
        try:
            pwd.getpwnam(name)
        except KeyError:
            home = homes / name
            _run(
                [
                    "useradd",
                    "--create-home",
                    "--home-dir",
                    str(home),
                    "--shell",
                    "/bin/bash",
                    "--comment",
                    MARK,
                    name,
                ]
            )
            created.append(name)
        home = Path(pwd.getpwnam(name).pw_dir)
        home.chmod(0o700)
    return created


def remove_accounts(names: list[str]) -> list[str]:
    """Delete the accounts (and homes) the classroom created; any other account is left alone."""
    removed = []
    for name in names:
        entry = _account(name)
        if entry is None or MARK not in entry.pw_gecos:
            continue
        subprocess.run(["pkill", "-KILL", "-u", name], check=False)
        _run(["userdel", "--remove", name])
        removed.append(name)
    return removed


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise ClassroomError(f"`{' '.join(cmd)}` failed: {done.stderr.strip()}")


# --- start ---------------------------------------------------------------------------------------
@dataclass
class Settings:
    """What classroom/jupyterhub_config.py reads (STATE/run/settings.json)."""

    learners: list[str]
    admins: list[str]
    cache: str
    ip: str
    port: int
    hub_port: int
    proxy_api_port: int
    mem_limit_mb: int
    threads: int
    cull_idle_after_s: int
    cull_every_s: int
    repo: str
    branch: str
    state: str
    venv_bin: str
    proxy: str
    extra_env: dict


def prepare(args: argparse.Namespace) -> Settings:
    """Every check, in the order a person fixes them; nothing is created until all pass."""
    if os.geteuid() != 0:
        raise ClassroomError(
            "The hub creates an account per learner and starts each server as that account, "
            "which needs root: run it with sudo."
        )
    learners = read_learners(Path(args.learners))
    admins = [a for a in (args.admin or []) if a]
    for admin in admins:
        if admin not in learners and not NAME.fullmatch(admin):
            raise ClassroomError(f"{admin!r} cannot be an account name (see the learner list).")
    check_accounts(learners + [a for a in admins if a not in learners])
    cache = Path(args.cache).resolve()
    check_cache(cache)
    sizing = size(len(learners), args.parts)
    check_memory(sizing, args.total_mb)
    check_ports(args.ip, args.port, args.port + 1, args.port + 2)
    check_installed()
    state = Path(args.state).resolve()
    return Settings(
        learners=learners,
        admins=admins,
        cache=str(cache),
        ip=args.ip,
        port=args.port,
        proxy_api_port=args.port + 1,
        hub_port=args.port + 2,
        mem_limit_mb=sizing.per_learner_mb,
        threads=max(1, (os.cpu_count() or 1) // len(learners)),
        cull_idle_after_s=args.cull_idle_after,
        cull_every_s=args.cull_every or max(5, min(300, args.cull_idle_after // 4)),
        repo=args.repo or "",
        branch=args.branch,
        state=str(state),
        venv_bin=str(STATE / "venv" / "bin"),
        proxy=str(STATE / "node_modules" / ".bin" / "configurable-http-proxy"),
        extra_env=dict(e.split("=", 1) for e in args.env or []),
    )


def start(settings: Settings, homes: Path) -> subprocess.Popen:
    """Create the accounts, write the settings and start JupyterHub (returns its process)."""
    create_accounts(
        settings.learners + [a for a in settings.admins if a not in settings.learners], homes
    )
    run = Path(settings.state)
    run.mkdir(parents=True, exist_ok=True)
    run.chmod(0o700)  # the cookie secret, the password database, the hub's sqlite
    (run / "settings.json").write_text(json.dumps(asdict(settings), indent=1))
    env = {**os.environ, "CLASSROOM_SETTINGS": str(run / "settings.json")}
    hub = Path(settings.venv_bin) / "jupyterhub"
    # SIGINT as Ctrl-C sends it, even when this command was started where it is ignored (a
    # background job): the hub passes it on to the culler when it stops.
    return subprocess.Popen(
        [str(hub), "-f", str(CONFIG)],
        cwd=run,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


# --- the command line ----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hub_classroom", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("size", help="RAM, cores and GPU memory for a room")
    p.add_argument("--learners", type=int, required=True)
    p.add_argument("--parts", default="1-9", help="e.g. 1-9, 6-9 or 1,4 (default 1-9)")

    p = sub.add_parser("link", help="the nbgitpuller link to hand out")
    p.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.org")
    p.add_argument("--repo", required=True, help="the course's git repository")
    p.add_argument("--branch", default="main")
    p.add_argument("--part", type=int, help="open this part's notebook (default: the folder)")

    for name in ("start", "check"):
        p = sub.add_parser(name, help=f"{name} the hub" if name == "start" else "checks only")
        p.add_argument("--learners", required=True, help="a file with one learner name a line")
        p.add_argument(
            "--cache",
            default=os.environ.get("HF_HOME", ""),
            help="the prefetched HF_HOME (default: $HF_HOME)",
        )
        p.add_argument("--parts", default="1-9", help="the parts the room runs (sizes the limit)")
        p.add_argument("--ip", default="0.0.0.0")
        p.add_argument(
            "--port",
            type=int,
            default=8000,
            help="the room's port; the next two serve the proxy's API and the hub",
        )
        p.add_argument("--admin", action="append", help="an instructor's account (repeatable)")
        p.add_argument("--repo", help="git repository nbgitpuller places in each home")
        p.add_argument("--branch", default="main")
        p.add_argument("--homes", default="/home", help="where learners' homes are created")
        p.add_argument("--cull-idle-after", type=int, default=3600, help="seconds (default 3600)")
        p.add_argument("--cull-every", type=int, default=0, help="seconds between culler checks")
        p.add_argument("--env", action="append", help="NAME=value for every learner's server")
        p.add_argument(
            "--state",
            default=str(STATE / "run"),
            help="the hub's database, cookie secret and passwords (kept across starts)",
        )
        p.add_argument("--total-mb", type=int, help=argparse.SUPPRESS)  # tests: a smaller machine

    p = sub.add_parser("remove-accounts", help="delete the learner accounts the classroom made")
    p.add_argument("--learners", required=True)

    p = sub.add_parser("layer", help="(make classroom) let the hub's venv see the course's")
    p.add_argument("course_site_packages")

    args = parser.parse_args(argv)
    try:
        if args.command == "size":
            print(size(args.learners, args.parts).table())
        elif args.command == "link":
            print(notebook_link(args.hub, args.repo, args.branch, args.part))
        elif args.command in ("start", "check"):
            if not args.cache:
                raise ClassroomError("Name the prefetched model cache: --cache /shared/hf-home.")
            settings = prepare(args)
            print(size(len(settings.learners), args.parts).table())
            if args.command == "check":
                print("All checks passed: `start` would start the hub now.")
                return 0
            hub = start(settings, Path(args.homes))
            print(
                f"JupyterHub for {len(settings.learners)} learners: http://{args.ip}:{args.port}"
                " (Ctrl-C stops it)"
            )
            signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the hub as Ctrl-C does
            try:
                return hub.wait()
            except KeyboardInterrupt:
                hub.terminate()
                try:
                    return hub.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    hub.kill()
                    return hub.wait()
        elif args.command == "remove-accounts":
            removed = remove_accounts(read_learners(Path(args.learners)))
            print(f"removed {len(removed)} account(s): {', '.join(removed) or 'none'}")
        elif args.command == "layer":
            layer(Path(args.course_site_packages))
    except (CourseError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def layer(course_site_packages: Path) -> None:
    """Make the running venv (the hub's) see this checkout and the course's packages, so the
    learners' kernels run the course's pinned stack without a second copy of torch."""
    import sysconfig

    if not course_site_packages.is_dir():
        raise ClassroomError(f"{course_site_packages} is not a folder: run `make install` first.")
    target = Path(sysconfig.get_paths()["purelib"]) / "zz_course.pth"
    target.write_text(f"{ROOT}\nimport site; site.addsitedir({str(course_site_packages)!r})\n")


if __name__ == "__main__":
    sys.exit(main())
