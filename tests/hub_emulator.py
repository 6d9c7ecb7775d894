"""A local Hub emulator: the stand-in repos of tests/standins.py served through the Hub's HTTP API.

The offline tests read a hand-built cache with HF_HUB_OFFLINE=1; learners run online. This server
lets the online branch of every helper run in CI: point ``HF_ENDPOINT`` at ``HubEmulator.url`` (in
a fresh process: huggingface_hub reads it at import) and huggingface_hub's real client talks to it.

It listens on 127.0.0.1 only (port from the OS), in daemon threads, and stops by itself: at
``stop()``, at interpreter exit, or after ``max_seconds``. Beside it, ``stalled_url`` accepts
connections and never answers (a dead hotspot, a stalled proxy) and ``closed_url`` is a port
nothing listens on; ``cut(repo, file, at)`` makes that file's downloads break off part-way.

What each answer is taken from (huggingface_hub's own repository,
github.com/huggingface/huggingface_hub):
- ``GET /api/models/{id}``: the production answer recorded in
  tests/cassettes/InferenceApiTest.test_simple_inference.yaml (fields ``_id``, ``id``, ``private``,
  ``pipeline_tag``, ``library_name``, ``tags`` with ``license:…``, ``downloads``, ``likes``,
  ``sha``, ``lastModified``, ``gated``, ``cardData``, ``siblings`` [{rfilename}], ``createdAt``,
  ``safetensors`` {parameters, total}, ``usedStorage``), as parsed by ``ModelInfo`` in
  src/huggingface_hub/hf_api.py. With ``expand[]`` only ``_id``, ``id`` and the fields asked for.
- 307 for a renamed (legacy) id: the same cassette (``/api/models/bert-base-uncased`` → 307,
  ``Location: /api/models/google-bert/bert-base-uncased``, text/plain "Temporary Redirect.
  Redirecting to …"). The Hub does the same for ``/{id}/resolve/…``, which ``hf_hub_download``
  follows (``_httpx2_follow_hub_redirects_with_backoff`` in src/huggingface_hub/utils/_http.py).
- Errors: ``hf_raise_for_status`` in src/huggingface_hub/utils/_http.py and its tests in
  tests/test_utils_errors.py: ``X-Error-Code`` RepoNotFound / GatedRepo / RevisionNotFound /
  EntryNotFound, ``X-Error-Message`` and a JSON body ``{"error": …}``. A missing or private repo is
  401 + RepoNotFound anonymously and 404 + RepoNotFound with a valid token; a request carrying an
  invalid or revoked token gets 401 ``Invalid credentials in Authorization header`` on every
  endpoint, public repos too
  (tests/test_utils_errors.py::test_hf_raise_for_status_401_repo_url_invalid_token).
  A gated repo's files: 401 + GatedRepo with no token, 403 + GatedRepo with a token that has not
  been granted access; message "Access to model … is restricted and you are not in the authorized
  list" (src/huggingface_hub/errors.py, GatedRepoError; tests/test_file_download.py). The model
  info and the file list of a gated repo stay public, as on the Hub's page.
- ``/api/whoami-v2``: ``{"name", "auth": {"accessToken": {"displayName", "role", "createdAt"}}}`` as
  read by src/huggingface_hub/_login.py and tests/test_auth.py; without a token 401
  ``Invalid username or password.`` (the 401 recorded in the deleted cassette
  tests/cassettes/TestInferenceClient.test_chat_completion_unprocessable_entity.yaml,
  commit a8e321429^).
- ``/{id}/resolve/{rev}/{file}``, HEAD and GET: ``get_hf_file_metadata`` in
  src/huggingface_hub/file_download.py reads ``X-Repo-Commit``, ``X-Linked-Etag`` or ``ETag``,
  ``X-Linked-Size`` or ``Content-Length`` and ``Location``. Small files answer 200 with the git blob
  sha1 as ETag; LFS files (weights) answer 302 to a second origin (the "CDN", another port on
  127.0.0.1, which the client does not follow on HEAD and reaches without the token) with
  ``X-Linked-Etag`` = sha256 and ``X-Linked-Size``. No ``X-Xet-*`` headers: plain HTTP downloads.
  Range requests (``get_safetensors_metadata`` asks for ``bytes=0-100000``, hf_api.py
  ``parse_safetensors_file_metadata``) answer 206 with ``Content-Range``.
- ``/api/models/{id}/tree/{rev}[/{path}]``: entries ``{"type", "oid", "size", "path"}`` plus ``lfs``
  for LFS files, as parsed by ``RepoFile`` / ``RepoFolder`` in hf_api.py; a missing folder is 404
  + EntryNotFound.
- ``/api/models`` listing: ``list_models`` in hf_api.py sends ``pipeline_tag``, ``search``,
  ``author``, ``sort``, ``direction``, ``limit``, ``full``, ``cardData``, ``expand``; pages follow
  the ``Link: <…>; rel="next"`` header (src/huggingface_hub/utils/_pagination.py).
- ``/api/models/{id}/auth-check``: 200 when the token may read the repo, else the errors above
  (``auth_check`` in hf_api.py only calls ``hf_raise_for_status``).

Stand-in facts the real Hub keeps outside the card are decided here: a card with
``extra_gated_*`` fields is gated, "auto" when its prompt says requests are processed immediately
(Gemma) and "manual" otherwise (Llama); downloads and likes are made-up, stable numbers; dates are
fixed.
"""

from __future__ import annotations

import atexit
import hashlib
import http.server
import json
import re
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from tests import standins

LFS_SUFFIXES = (".safetensors", ".bin", ".gguf", ".h5", ".onnx", ".msgpack", ".pt", ".pth", ".ot")
LFS_MIN_SIZE = 10 * 2**20  # bigger files go to LFS on the Hub whatever their name
GATED_ANON = (
    "Access to model {id} is restricted. You must have access to it and be authenticated "
    "to access it. Please log in."
)
GATED_DENIED = (
    "Access to model {id} is restricted and you are not in the authorized list. "
    "Visit {page} to ask for access."
)
GATED_PENDING = "Your request to access model {id} is awaiting a review from the repo authors."
INVALID_TOKEN = "Invalid credentials in Authorization header"
NOT_FOUND = "Repository not found"
DATE = "2024-09-25T14:32:17.000Z"

# Extra repos the stand-in Hub does not have, derived from one that it has (scenario ids).
SHARDED_ID = "course-emulator/Qwen2.5-0.5B-Instruct-sharded"
NO_CARD_ID = "course-emulator/no-card"
PRIVATE_ID = "course-emulator/private-model"
GATED_TINY_ID = "course-emulator/gated-tiny"  # tiny weights behind manual gating, for load_model
GATED_AUTO_TINY_ID = "course-emulator/gated-auto-tiny"  # the same behind automatic gating


def _git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class RepoFile:
    path: str
    source: Path | None = None  # a file of the stand-in snapshot, or
    data: bytes | None = None  # bytes made here (shards, index)
    _sha256: str | None = None
    _blob: str | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.source.stat().st_size

    @property
    def lfs(self) -> bool:
        return self.path.endswith(LFS_SUFFIXES) or self.size >= LFS_MIN_SIZE

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        end = self.size - 1 if end is None else min(end, self.size - 1)
        if self.data is not None:
            return self.data[start : end + 1]
        with open(self.source, "rb") as f:
            f.seek(start)
            return f.read(end - start + 1)

    def chunks(self, start: int, end: int, size: int = 1 << 20):
        pos = start
        while pos <= end:
            piece = self.read(pos, min(end, pos + size - 1))
            if not piece:
                return
            yield piece
            pos += len(piece)

    @property
    def sha256(self) -> str:
        if self._sha256 is None:
            h = hashlib.sha256()
            for piece in self.chunks(0, self.size - 1):
                h.update(piece)
            self._sha256 = h.hexdigest()
        return self._sha256

    @property
    def pointer(self) -> bytes:
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
            f"size {self.size}\n"
        ).encode()

    @property
    def blob_id(self) -> str:
        """The git object id: of the LFS pointer for an LFS file, of the bytes otherwise."""
        if self._blob is None:
            self._blob = _git_blob_sha1(self.pointer if self.lfs else self.read())
        return self._blob


@dataclass
class Repo:
    repo_id: str
    sha: str
    files: dict[str, RepoFile]
    card: dict
    refs: tuple[str, ...] = ()
    gated: bool | str = False  # False, "auto" or "manual"
    private: bool = False
    downloads: int = 0
    likes: int = 0

    @property
    def author(self) -> str | None:
        return self.repo_id.split("/")[0] if "/" in self.repo_id else None


def _card_meta(readme: Path) -> dict:
    import yaml

    text = readme.read_text()
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    return (yaml.safe_load(match.group(1)) or {}) if match else {}


def _gating(card: dict) -> bool | str:
    """How the stand-in's card says the repo is gated
    (the real Hub keeps this as a repo setting)."""
    if not any(k.startswith("extra_gated") for k in card):
        return False
    return "auto" if "processed immediately" in card.get("extra_gated_prompt", "") else "manual"


def _stable_number(text: str, top: int) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) % top


def _safetensors_header(f: RepoFile) -> dict:
    head = f.read(0, 7)
    n = int.from_bytes(head, "little")
    return json.loads(f.read(8, 8 + n - 1))


def _split_safetensors(f: RepoFile, parts: int = 2) -> tuple[dict[str, bytes], dict]:
    """Split one safetensors file into ``parts`` shards (byte-level, no torch) and its index."""
    header = _safetensors_header(f)
    meta = header.pop("__metadata__", None)
    n = int.from_bytes(f.read(0, 7), "little")
    base = 8 + n
    names = sorted(header, key=lambda k: header[k]["data_offsets"][0])
    groups = [names[i::parts] for i in range(parts)]
    shards, weight_map, total = {}, {}, 0
    for i, group in enumerate(groups, 1):
        fname = f"model-{i:05d}-of-{parts:05d}.safetensors"
        new_header, blobs, offset = {}, [], 0
        for name in group:
            start, end = header[name]["data_offsets"]
            data = f.read(base + start, base + end - 1)
            new_header[name] = {**header[name], "data_offsets": [offset, offset + len(data)]}
            blobs.append(data)
            offset += len(data)
            weight_map[name] = fname
        if meta is not None:
            new_header["__metadata__"] = meta
        raw = json.dumps(new_header, separators=(",", ":")).encode()
        raw += b" " * (-len(raw) % 8)
        shards[fname] = len(raw).to_bytes(8, "little") + raw + b"".join(blobs)
        total += offset
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    return shards, index


def decoder_param_count(conf: dict) -> int | None:
    """Parameters of a Llama-style decoder (llama, mistral, qwen2, gemma2) from its config.json.

    Embeddings + per layer (attention q/k/v/o, q/k/v biases for qwen2, gated MLP, 2 norms or 4
    for gemma2) + the final norm + an untied output head. tests/test_online_emulator.py checks it
    against transformers' own model built on the meta device.
    """
    kind = conf.get("model_type")
    if kind not in ("llama", "mistral", "qwen2", "gemma2"):
        return None
    h, inter, layers = conf["hidden_size"], conf["intermediate_size"], conf["num_hidden_layers"]
    heads = conf["num_attention_heads"]
    kv = conf.get("num_key_value_heads") or heads
    hd = conf.get("head_dim") or h // heads
    vocab = conf["vocab_size"]
    attn = h * heads * hd + 2 * h * kv * hd + heads * hd * h
    if kind == "qwen2" or conf.get("attention_bias"):
        attn += (
            heads * hd + 2 * kv * hd + (h if conf.get("attention_bias") and kind != "qwen2" else 0)
        )
    layer = attn + 3 * h * inter + (4 if kind == "gemma2" else 2) * h
    tied = conf.get("tie_word_embeddings", kind == "gemma2")
    return vocab * h * (1 if tied else 2) + layers * layer + h


@dataclass
class Token:
    value: str
    user: str = "learner"
    valid: bool = True
    access: dict[str, str] = field(default_factory=dict)  # repo id -> "pending" | "accepted"


class HubEmulator:
    """The stand-in Hub over HTTP. Scenario controls: add_token, revoke, set_access, repos."""

    def __init__(
        self, home: Path | None = None, *, max_seconds: float = 1800, page_size: int = 1000
    ):
        home = home or standins.ensure_hub(log=lambda m: None)
        self.repos: dict[str, Repo] = {}
        self.aliases: dict[str, str] = {}
        self.tokens: dict[str, Token] = {}
        self.page_size = page_size
        self.max_seconds = max_seconds
        self.requests: list[tuple[str, str, int, str]] = []  # (method, path, status, auth state)
        self.unhandled: list[str] = []
        self.cuts: dict[str, int] = {}  # file sha256 -> byte offset where its downloads break off
        self._lock = threading.Lock()
        self._load(home / "hub")
        self._servers: list[http.server.ThreadingHTTPServer] = []
        self._stall: socket.socket | None = None
        self._held: list[socket.socket] = []
        self._stopped = threading.Event()
        # start() binds the sockets and sets url, cdn_url, stalled_url and closed_url

    # --- the repos ----------------------------------------------------------------------------

    def _load(self, hub: Path) -> None:
        for s in standins.STANDINS:
            folder = hub / ("models--" + s.repo_id.replace("/", "--"))
            sha = (folder / "refs" / "main").read_text().strip()
            snap = folder / "snapshots" / sha
            files = {
                p.relative_to(snap).as_posix(): RepoFile(p.relative_to(snap).as_posix(), p)
                for p in sorted(snap.rglob("*"))
                if p.is_file()
            }
            files[".gitattributes"] = RepoFile(
                ".gitattributes",
                data=b"".join(
                    f"*{suf} filter=lfs diff=lfs merge=lfs -text\n".encode() for suf in LFS_SUFFIXES
                ),
            )
            card = _card_meta(snap / "README.md") if "README.md" in files else {}
            self.repos[s.repo_id] = Repo(
                s.repo_id,
                sha,
                files,
                card,
                refs=s.refs,
                gated=_gating(card),
                downloads=_stable_number(s.repo_id, 5_000_000) + 1000,
                likes=_stable_number(s.repo_id + "likes", 5000),
            )
            for alias in s.aliases:
                self.aliases[alias] = s.repo_id
        base = self.repos["Qwen/Qwen2.5-0.5B-Instruct"]
        self.derive(NO_CARD_ID, base, drop=("README.md",))
        self.derive(PRIVATE_ID, base, private=True)
        llama = self.repos["meta-llama/Llama-3.1-8B-Instruct"]
        gemma = self.repos["google/gemma-2-2b-it"]
        for repo_id, like in ((GATED_TINY_ID, llama), (GATED_AUTO_TINY_ID, gemma)):
            gated = self.derive(repo_id, base, gated=_gating(like.card))
            gated.card = {
                **base.card,
                "license": like.card["license"],
                **{k: v for k, v in like.card.items() if k.startswith("extra_gated")},
            }
        sharded = self.derive(SHARDED_ID, base, drop=("model.safetensors",))
        shards, index = _split_safetensors(base.files["model.safetensors"])
        for name, data in shards.items():
            sharded.files[name] = RepoFile(name, data=data)
        sharded.files["model.safetensors.index.json"] = RepoFile(
            "model.safetensors.index.json", data=json.dumps(index, indent=2).encode()
        )

    def derive(self, repo_id: str, base: Repo, *, drop: tuple[str, ...] = (), **kw) -> Repo:
        """A new repo holding ``base``'s files (minus ``drop``); kw sets gated/private/card."""
        files = {k: v for k, v in base.files.items() if k not in drop}
        repo = Repo(
            repo_id,
            hashlib.sha1(repo_id.encode()).hexdigest(),
            files,
            {} if "README.md" in drop else dict(base.card),
            downloads=_stable_number(repo_id, 1000),
            likes=0,
        )
        for k, v in kw.items():
            setattr(repo, k, v)
        self.repos[repo_id] = repo
        return repo

    def most_downloaded(self, pipeline_tag: str, limit: int) -> list[Repo]:
        """What the real listing should answer, worked out here from the repos (for the tests)."""
        public = [r for r in self.repos.values() if r.card.get("pipeline_tag") == pipeline_tag]
        public = [r for r in public if not r.private]
        return sorted(public, key=lambda r: r.downloads, reverse=True)[:limit]

    # --- scenario controls ----------------------------------------------------------------------

    def add_token(self, value: str, user: str = "learner", **access: str) -> Token:
        """A valid token; ``access`` maps repo ids (use ``set_access`` for ids with '/')."""
        tok = Token(value, user, True, dict(access))
        self.tokens[value] = tok
        return tok

    def set_access(self, value: str, repo_id: str, state: str) -> None:
        """``state`` "pending" (asked, awaiting review) or "accepted";
        private repos need "accepted"."""
        assert state in ("pending", "accepted"), state
        self.tokens[value].access[repo_id] = state

    def revoke(self, value: str) -> None:
        self.tokens[value].valid = False

    def cut(self, repo_id: str, path: str, at: int) -> None:
        """Every download of this file breaks off at byte ``at`` (the connection closes with the
        body unfinished: a dropped Wi-Fi), resumed requests too, until ``cuts.clear()``."""
        self.cuts[self.repos[repo_id].files[path].sha256] = at

    # --- the servers ----------------------------------------------------------------------------

    def start(self) -> HubEmulator:
        handler = _make_handler(self)
        for _ in range(2):  # the Hub, and the "CDN" it redirects LFS downloads to
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            server.daemon_threads = True
            threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.2},
                daemon=True,
                name="hub-emulator",
            ).start()
            self._servers.append(server)
        self._stall = socket.socket()
        self._stall.bind(("127.0.0.1", 0))
        self._stall.listen(64)
        threading.Thread(target=self._hold, daemon=True, name="hub-emulator-stall").start()
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        self.closed_port = closed.getsockname()[1]
        closed.close()  # nothing listens here now: connection refused
        # the addresses, fixed once the sockets are bound
        self.url = f"http://127.0.0.1:{self._servers[0].server_address[1]}"
        self.cdn_url = f"http://127.0.0.1:{self._servers[1].server_address[1]}"
        self.stalled_url = f"http://127.0.0.1:{self._stall.getsockname()[1]}"
        self.closed_url = f"http://127.0.0.1:{self.closed_port}"
        timer = threading.Timer(self.max_seconds, self.stop)
        timer.daemon = True
        timer.start()
        atexit.register(self.stop)
        return self

    def _hold(self) -> None:
        """Accept and never answer; keep at most 256 connections, close them all at stop()."""
        self._stall.settimeout(0.5)
        while not self._stopped.is_set():
            try:
                conn, _ = self._stall.accept()
            except (TimeoutError, OSError):
                continue
            self._held.append(conn)
            if len(self._held) > 256:
                self._held.pop(0).close()

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for conn in self._held:
            conn.close()
        if self._stall is not None:
            self._stall.close()

    def __enter__(self) -> HubEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- answers --------------------------------------------------------------------------------

    def _auth(self, header: str | None) -> tuple[str, Token | None]:
        """("anonymous" | "valid" | "invalid", token)."""
        if not header:
            return "anonymous", None
        value = header.split(" ", 1)[1].strip() if " " in header else header
        tok = self.tokens.get(value)
        if tok is None or not tok.valid:
            return "invalid", None
        return "valid", tok

    def can_see(self, repo: Repo, tok: Token | None) -> bool:
        return not repo.private or (tok is not None and tok.access.get(repo.repo_id) == "accepted")

    def gate(self, repo: Repo, tok: Token | None) -> tuple[int, str] | None:
        """None when the token may read the files; else (status, message) of the Hub's GatedRepo."""
        if not repo.gated:
            return None
        page = f"{self.url}/{repo.repo_id}"
        if tok is None:
            return 401, GATED_ANON.format(id=repo.repo_id)
        state = tok.access.get(repo.repo_id)
        if state == "accepted":
            return None
        if state == "pending" and repo.gated == "manual":
            return 403, GATED_PENDING.format(id=repo.repo_id)
        return 403, GATED_DENIED.format(id=repo.repo_id, page=page)

    def revision(self, repo: Repo, rev: str) -> bool:
        return rev in ("main", repo.sha, *repo.refs) or (len(rev) >= 7 and repo.sha.startswith(rev))

    def safetensors_summary(self, repo: Repo) -> dict | None:
        """The Hub's ``safetensors`` field: counted from the headers served, or for a config-only
        stand-in (a big model whose weights are not here) from its real config.json, which is the
        figure the real Hub shows for it (public even when the repo is gated)."""
        if not any(p.endswith(".safetensors") for p in repo.files) and "config.json" in repo.files:
            conf = json.loads(repo.files["config.json"].read())
            count = decoder_param_count(conf)
            if count is None:
                return None
            dtype = {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}.get(
                conf.get("torch_dtype") or conf.get("dtype"), "BF16"
            )
            return {"parameters": {dtype: count}, "total": count}
        params: dict[str, int] = {}
        for f in repo.files.values():
            if not f.path.endswith(".safetensors"):
                continue
            for name, t in _safetensors_header(f).items():
                if name == "__metadata__":
                    continue
                count = 1
                for d in t["shape"]:
                    count *= d
                params[t["dtype"]] = params.get(t["dtype"], 0) + count
        return {"parameters": params, "total": sum(params.values())} if params else None

    def tags(self, repo: Repo) -> list[str]:
        card = repo.card
        tags = [card["library_name"]] if card.get("library_name") else ["transformers"]
        if any(p.endswith(".safetensors") for p in repo.files):
            tags.append("safetensors")
        tags += [t for t in card.get("tags", []) if t not in tags]
        if card.get("pipeline_tag"):
            tags.append(card["pipeline_tag"])
        langs = card.get("language") or []
        tags += [langs] if isinstance(langs, str) else list(langs)
        tags += [f"dataset:{d}" for d in card.get("datasets", [])]
        if card.get("base_model"):
            tags.append(f"base_model:{card['base_model']}")
        if card.get("license"):
            tags.append(f"license:{card['license']}")
        return tags + ["region:us"]

    def model_json(self, repo: Repo, expand: list[str] | None = None, blobs: bool = False) -> dict:
        config = None
        if "config.json" in repo.files:
            conf = json.loads(repo.files["config.json"].read())
            config = {k: conf[k] for k in ("architectures", "model_type") if k in conf}
        siblings = []
        for f in repo.files.values():
            item = {"rfilename": f.path}
            if blobs:
                item.update(size=f.size, blobId=f.blob_id)
                if f.lfs:
                    item["lfs"] = {
                        "sha256": f.sha256,
                        "size": f.size,
                        "pointerSize": len(f.pointer),
                    }
            siblings.append(item)
        full = {
            "_id": repo.sha[:24],
            "id": repo.repo_id,
            "private": repo.private,
            "pipeline_tag": repo.card.get("pipeline_tag"),
            "library_name": repo.card.get("library_name", "transformers"),
            "tags": self.tags(repo),
            "downloads": repo.downloads,
            "likes": repo.likes,
            "modelId": repo.repo_id,
            "author": repo.author,
            "sha": repo.sha,
            "lastModified": DATE,
            "gated": repo.gated,
            "inference": "warm",
            "disabled": False,
            "config": config,
            "cardData": repo.card or None,
            "siblings": siblings,
            "spaces": [],
            "createdAt": DATE,
            "safetensors": self.safetensors_summary(repo),
            "usedStorage": sum(f.size for f in repo.files.values()),
        }
        if not repo.card:
            full.pop("cardData")
        if full["safetensors"] is None:
            full.pop("safetensors")
        if expand:
            return {
                "_id": full["_id"],
                "id": full["id"],
                **{k: full[k] for k in expand if k in full},
            }
        return full


def _make_handler(hub: HubEmulator):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "hub-emulator"

        def log_message(self, *args) -> None:  # quiet; the requests are in hub.requests
            pass

        # --- plumbing ---
        def _send(
            self,
            status: int,
            body: bytes = b"",
            headers: dict | None = None,
            ctype: str = "application/json; charset=utf-8",
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header(
                "Access-Control-Expose-Headers",
                "X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,"
                "ETag,Link,Accept-Ranges,Content-Range",
            )
            self.send_header("X-Request-Id", f"Root=emulator-{len(hub.requests)}")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD" and body:
                self.wfile.write(body)
            self._log(status)

        def _log(self, status: int) -> None:
            with hub._lock:
                hub.requests.append((self.command, self.path, status, self._state))

        def _json(self, status: int, data, headers: dict | None = None) -> None:
            self._send(status, json.dumps(data).encode(), headers)

        def _error(self, status: int, message: str, code: str | None = None) -> None:
            headers = {"X-Error-Message": message}
            if code:
                headers["X-Error-Code"] = code
            if status == 401:
                headers["WWW-Authenticate"] = (
                    'Bearer realm="Authentication required", charset="UTF-8"'
                )
            self._json(status, {"error": message}, headers)

        def _redirect(self, location: str, status: int = 307, extra: dict | None = None) -> None:
            body = f"Temporary Redirect. Redirecting to {location}".encode()
            self._send(
                status, body, {"Location": location, **(extra or {})}, "text/plain; charset=utf-8"
            )

        # --- dispatch ---
        def do_HEAD(self) -> None:
            self._dispatch()

        def do_GET(self) -> None:
            self._dispatch()

        def _dispatch(self) -> None:
            self._state = "?"
            try:
                self._route()
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _route(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(parsed.path)
            query = urllib.parse.parse_qs(parsed.query)
            port = self.server.server_address[1]
            if port == hub._servers[1].server_address[1]:  # the CDN: signed URLs, no token
                self._state = "cdn"
                return self._cdn(path)
            self._state, tok = hub._auth(self.headers.get("Authorization"))
            if self._state == "invalid":  # every request, public repos too
                return self._error(401, INVALID_TOKEN)
            if path == "/api/whoami-v2":
                return self._whoami(tok)
            if path == "/api/models":
                return self._list(query, tok)
            if path.startswith("/api/models/"):
                return self._api_model(path[len("/api/models/") :], query, tok)
            if "/resolve/" in path:
                return self._resolve(path.lstrip("/"), tok)
            hub.unhandled.append(f"{self.command} {self.path}")
            self._error(404, "Not Found")

        # --- endpoints ---
        def _whoami(self, tok: Token | None) -> None:
            if tok is None:
                return self._error(401, "Invalid username or password.")
            self._json(
                200,
                {
                    "type": "user",
                    "id": hashlib.sha1(tok.user.encode()).hexdigest()[:24],
                    "name": tok.user,
                    "fullname": tok.user.title(),
                    "isPro": False,
                    "orgs": [],
                    "auth": {
                        "type": "access_token",
                        "accessToken": {
                            "displayName": "course-read",
                            "role": "read",
                            "createdAt": DATE,
                        },
                    },
                },
            )

        def _find(self, repo_id: str, tok: Token | None, rest: str) -> Repo | None:
            """The repo, or None after answering (redirect for a renamed id, RepoNotFound)."""
            if repo_id in hub.aliases:
                target = hub.aliases[repo_id]
                self._redirect(self.path.replace(repo_id, target, 1))
                return None
            repo = hub.repos.get(repo_id)
            if repo is None or not hub.can_see(repo, tok):
                self._error(401 if tok is None else 404, NOT_FOUND, "RepoNotFound")
                return None
            return repo

        def _split_id(self, rest: str, keywords: tuple[str, ...]) -> tuple[str, str, str]:
            """(repo id, keyword, remainder) for 'org/name/kw/…', 'name/kw/…', or an id alone."""
            parts = rest.split("/")
            for i in (2, 1):
                if len(parts) > i and parts[i] in keywords:
                    return "/".join(parts[:i]), parts[i], "/".join(parts[i + 1 :])
            return rest.rstrip("/"), "", ""

        def _api_model(self, rest: str, query: dict, tok: Token | None) -> None:
            repo_id, kw, remainder = self._split_id(rest, ("revision", "tree", "auth-check"))
            repo = self._find(repo_id, tok, rest)
            if repo is None:
                return
            if kw == "auth-check":
                denied = hub.gate(repo, tok)
                if denied:
                    return self._error(*denied, "GatedRepo")
                return self._json(200, {"auth": {"type": "access_token" if tok else "anonymous"}})
            if kw == "tree":
                rev, _, sub = remainder.partition("/")
                return self._tree(repo, rev, sub, query)
            if kw == "revision" and not hub.revision(repo, remainder):
                return self._error(404, f"Invalid rev id: {remainder}", "RevisionNotFound")
            expand = query.get("expand[]") or query.get("expand")
            self._json(200, hub.model_json(repo, expand, blobs=query.get("blobs") == ["true"]))

        def _tree(self, repo: Repo, rev: str, sub: str, query: dict) -> None:
            if not hub.revision(repo, rev):
                return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            sub = sub.strip("/")
            recursive = query.get("recursive") == ["true"] or query.get("recursive") == ["True"]
            prefix = f"{sub}/" if sub else ""
            files = [f for p, f in repo.files.items() if p.startswith(prefix)]
            if sub and not files:
                return self._error(404, f'{sub} does not exist on "{rev}"', "EntryNotFound")
            entries, folders = [], set()
            for f in files:
                rel = f.path[len(prefix) :]
                if "/" in rel:
                    top = prefix + rel.split("/")[0]
                    if top not in folders:
                        folders.add(top)
                        entries.append(
                            {
                                "type": "directory",
                                "oid": _git_blob_sha1(top.encode()),
                                "size": 0,
                                "path": top,
                            }
                        )
                    if not recursive:
                        continue
                entry = {"type": "file", "oid": f.blob_id, "size": f.size, "path": f.path}
                if f.lfs:
                    entry["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": len(f.pointer)}
                entries.append(entry)
            self._json(200, entries)

        def _list(self, query: dict, tok: Token | None) -> None:
            def one(name: str) -> str | None:
                return (query.get(name) or [None])[0]

            repos = [r for r in hub.repos.values() if hub.can_see(r, tok) and not r.private]
            if one("pipeline_tag"):
                repos = [r for r in repos if r.card.get("pipeline_tag") == one("pipeline_tag")]
            if one("author"):
                repos = [r for r in repos if r.author == one("author")]
            if one("search"):
                repos = [r for r in repos if one("search").lower() in r.repo_id.lower()]
            sort = one("sort")
            if sort in ("downloads", "likes", "trendingScore"):
                key = {"downloads": "downloads", "likes": "likes", "trendingScore": "likes"}[sort]
                reverse = one("direction") != "1"
                repos.sort(key=lambda r: getattr(r, key), reverse=reverse)
            limit = int(one("limit")) if one("limit") else None
            if limit is not None:
                repos = repos[:limit]
            start = int(one("cursor") or 0)
            page = repos[start : start + hub.page_size]
            full = one("full") in ("True", "true")
            expand = query.get("expand[]") or query.get("expand")
            items = []
            for r in page:
                data = hub.model_json(r, expand)
                if not expand:
                    keep = [
                        "_id",
                        "id",
                        "likes",
                        "downloads",
                        "private",
                        "tags",
                        "pipeline_tag",
                        "library_name",
                        "createdAt",
                        "modelId",
                    ]
                    if full:
                        keep += ["author", "sha", "lastModified", "gated", "disabled", "siblings"]
                    if one("cardData") in ("True", "true"):
                        keep.append("cardData")
                    data = {k: data[k] for k in keep if k in data}
                items.append(data)
            headers = {}
            if start + hub.page_size < len(repos):
                nxt = {k: v for k, v in query.items() if k != "cursor"}
                nxt["cursor"] = [str(start + hub.page_size)]
                headers["Link"] = (
                    f'<{hub.url}/api/models?{urllib.parse.urlencode(nxt, doseq=True)}>; rel="next"'
                )
            self._json(200, items, headers)

        def _resolve(self, rest: str, tok: Token | None) -> None:
            head, _, tail = rest.partition("/resolve/")
            rev, _, filename = tail.partition("/")
            repo = self._find(head, tok, rest)
            if repo is None:
                return
            denied = hub.gate(repo, tok)
            if denied:
                return self._error(*denied, "GatedRepo")
            if not hub.revision(repo, rev):
                return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            f = repo.files.get(filename)
            common = {"X-Repo-Commit": repo.sha, "Accept-Ranges": "bytes"}
            if f is None:
                self._send(
                    404,
                    json.dumps({"error": "Entry not found"}).encode(),
                    {
                        **common,
                        "X-Error-Code": "EntryNotFound",
                        "X-Error-Message": "Entry not found",
                    },
                )
                return
            if f.lfs:  # HEAD stops here (another origin); GET follows it without the token
                location = f"{hub.cdn_url}/lfs/{repo.repo_id}/{f.sha256}"
                return self._redirect(
                    location,
                    302,
                    {
                        **common,
                        "ETag": f'"{f.blob_id}"',
                        "X-Linked-Etag": f'"{f.sha256}"',
                        "X-Linked-Size": str(f.size),
                    },
                )
            self._file(f, {**common, "ETag": f'"{f.blob_id}"'})

        def _cdn(self, path: str) -> None:
            m = re.match(r"^/lfs/(.+)/([0-9a-f]{64})$", path)
            repo = hub.repos.get(m.group(1)) if m else None
            f = (
                next((f for f in repo.files.values() if f.lfs and f.sha256 == m.group(2)), None)
                if repo
                else None
            )
            if f is None:
                return self._send(404, b"Not Found", ctype="text/plain")
            self._file(f, {"ETag": f'"{f.sha256}"', "Accept-Ranges": "bytes"})

        def _file(self, f: RepoFile, headers: dict) -> None:
            size, start, end, status = f.size, 0, f.size - 1, 200
            rng = re.match(r"bytes=(\d*)-(\d*)$", self.headers.get("Range", "") or "")
            if rng and size:
                a, b = rng.groups()
                start = int(a) if a else max(0, size - int(b))
                end = min(int(b), size - 1) if (a and b) else size - 1
                if start >= size:
                    return self._send(416, b"", {"Content-Range": f"bytes */{size}"})
                status = 206
                headers = {**headers, "Content-Range": f"bytes {start}-{end}/{size}"}
            length = end - start + 1 if size else 0
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(length))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            cut = hub.cuts.get(f.sha256) if hub.cuts else None
            if cut is not None and self.command == "GET":
                end = min(end, cut - 1)  # send up to the cut, then drop the connection
                self.close_connection = True
            if self.command == "GET" and length:
                for piece in f.chunks(start, end):
                    self.wfile.write(piece)
            self._log(status)

    return Handler


if __name__ == "__main__":  # serve by hand: python -m tests.hub_emulator
    with HubEmulator() as hub:
        print(
            f"export HF_ENDPOINT={hub.url}  # stalled: {hub.stalled_url}  closed: {hub.closed_url}"
        )
        try:
            while not hub._stopped.is_set():
                time.sleep(1)
        except KeyboardInterrupt:
            pass
