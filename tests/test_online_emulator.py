"""The Hub emulator speaks the Hub's API: huggingface_hub's real client parses every answer.

These run huggingface_hub itself (not course_utils) online against tests/hub_emulator.py in a
child process (tests/online.py), so they must pass whatever course_utils does.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request

import pytest

from tests.hub_emulator import (
    GATED_TINY_ID,
    INVALID_TOKEN,
    NO_CARD_ID,
    PRIVATE_ID,
    SHARDED_ID,
    HubEmulator,
)
from tests.online import emulator, run_online  # noqa: F401  (emulator is a fixture)

QWEN = "Qwen/Qwen2.5-0.5B-Instruct"
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
LEGACY = "distilbert-base-uncased-finetuned-sst-2-english"
GOOD, PENDING, REVOKED = (
    "hf_emuGoodToken0000000000000001",
    "hf_emuPendingToken00000000002",
    "hf_emuRevokedToken00000000003",
)


CLIENT_CALLS = {
    "model_info": f"(lambda i: [i.id, i.sha, i.gated, i.private, i.pipeline_tag, "
    "i.card_data.license, "
    f"i.safetensors.total, sorted(s.rfilename for s in i.siblings), i.downloads > 0])"
    f"(hf.model_info('{QWEN}'))",
    "model_info_revision": f"hf.model_info('{QWEN}', revision='main').sha",
    "model_info_expand": f"(lambda i: [i.safetensors.total, i.downloads, i.card_data])"
    f"(hf.model_info('{QWEN}', expand=['safetensors']))",
    "model_info_files_metadata": f"sorted((s.rfilename, s.size, s.lfs is not None) for s in "
    f"hf.model_info('{QWEN}', files_metadata=True).siblings)",
    "model_info_legacy_id": f"hf.model_info('{LEGACY}').id",
    "model_info_gated": f"[hf.model_info('{LLAMA}').gated, "
    "hf.model_info('google/gemma-2-2b-it').gated]",
    "list_models": "[(m.id, m.downloads) for m in hf.list_models(pipeline_tag='text-generation', "
    "sort='downloads', limit=4)]",
    "list_models_search": "[m.id for m in hf.list_models(search='distilbert')]",
    "list_repo_files": f"hf.list_repo_files('{QWEN}')",
    "list_repo_tree": "sorted((type(e).__name__, e.path) for e in hf.list_repo_tree("
    "'sentence-transformers/all-MiniLM-L6-v2'))",
    "list_repo_tree_recursive": "sorted((type(e).__name__, e.path) for e in hf.list_repo_tree("
    "'sentence-transformers/all-MiniLM-L6-v2', recursive=True))",
    "hf_hub_download": f"open(hf.hf_hub_download('{QWEN}', 'config.json')).read()",
    "hf_hub_download_lfs": "__import__('os').path.getsize("
    f"hf.hf_hub_download('{QWEN}', 'model.safetensors'))",
    "hf_hub_download_short_ref": "hf.hf_hub_download('google/vit-base-patch16-224', 'config.json', "
    "revision='3f49326')",
    "hf_hub_download_legacy_id": f"hf.hf_hub_download('{LEGACY}', 'config.json')",
    "snapshot_download": "sorted(__import__('os').listdir("
    "hf.snapshot_download('distilbert/distilbert-base-uncased')))",
    "safetensors_metadata": "(lambda m: [m.sharded, m.parameter_count])"
    f"(hf.get_safetensors_metadata('{QWEN}'))",
    "safetensors_metadata_sharded": "(lambda m: [m.sharded, m.parameter_count, "
    "sorted(m.files_metadata)])"
    f"(hf.get_safetensors_metadata('{SHARDED_ID}'))",
    "model_card": f"hf.ModelCard.load('{QWEN}').data.license",
    "auth_check_public": f"hf.auth_check('{QWEN}')",
    "auth_check_gated_anonymous": f"hf.auth_check('{LLAMA}')",
    "auth_check_missing_anonymous": "hf.auth_check('nobody/no-such-model')",
    "auth_check_private_anonymous": f"hf.auth_check('{PRIVATE_ID}')",
    "gated_file_anonymous": f"hf.hf_hub_download('{GATED_TINY_ID}', 'config.json')",
    "missing_file": f"hf.hf_hub_download('{QWEN}', 'no-such-file.json')",
    "bad_revision": f"hf.model_info('{QWEN}', revision='0000000')",
    "whoami_no_token": "hf.whoami()",
    "no_card_model_card": f"hf.ModelCard.load('{NO_CARD_ID}')",
}


@pytest.fixture(scope="module")
def anonymous(emulator):
    return run_online(CLIENT_CALLS, emulator.url)


def test_model_info_parses(anonymous, emulator):
    repo = emulator.repos[QWEN]
    o = anonymous["model_info"]
    assert o.ok, o.says()
    assert o.value == [
        QWEN,
        repo.sha,
        False,
        False,
        "text-generation",
        "apache-2.0",
        emulator.safetensors_summary(repo)["total"],
        sorted(repo.files),
        True,
    ]
    assert anonymous["model_info_revision"].value == repo.sha
    assert anonymous["model_info_expand"].value == [
        emulator.safetensors_summary(repo)["total"],
        None,
        None,
    ]
    sizes = anonymous["model_info_files_metadata"].value
    assert ["model.safetensors", repo.files["model.safetensors"].size, True] in sizes
    assert ["config.json", repo.files["config.json"].size, False] in sizes


def test_renamed_id_redirects_307(anonymous, emulator):
    assert (
        anonymous["model_info_legacy_id"].value
        == "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    )
    assert ("GET", f"/api/models/{LEGACY}", 307, "anonymous") in emulator.requests
    assert anonymous["hf_hub_download_legacy_id"].ok, anonymous["hf_hub_download_legacy_id"].says()


def test_gated_flags_come_from_the_cards(anonymous):
    assert anonymous["model_info_gated"].value == ["manual", "auto"]


def test_list_models_sorts_limits_and_filters(anonymous, emulator):
    expected = emulator.most_downloaded("text-generation", 4)
    assert anonymous["list_models"].value == [[r.repo_id, r.downloads] for r in expected]
    assert sorted(anonymous["list_models_search"].value) == [
        "distilbert/distilbert-base-uncased",
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    ]


def test_list_models_follows_link_pagination():
    with HubEmulator(page_size=2) as hub:
        run = run_online({"all": "[m.id for m in hf.list_models(sort='downloads')]"}, hub.url)
        pages = [r for r in hub.requests if r[1].startswith("/api/models?")]
    public = [r for r in hub.repos.values() if not r.private]
    assert sorted(run["all"].value) == sorted(r.repo_id for r in public), run["all"].says()
    assert len(pages) == -(-len(public) // 2)  # one request per page of two


def test_tree_and_files(anonymous, emulator):
    assert sorted(anonymous["list_repo_files"].value) == sorted(emulator.repos[QWEN].files)
    tree = anonymous["list_repo_tree"].value
    assert ["RepoFolder", "1_Pooling"] in tree and ["RepoFile", "1_Pooling/config.json"] not in tree
    assert ["RepoFile", "1_Pooling/config.json"] in anonymous["list_repo_tree_recursive"].value
    conf = json.loads(anonymous["hf_hub_download"].value)
    assert conf["model_type"] == "qwen2"
    assert (
        anonymous["hf_hub_download_lfs"].value
        == emulator.repos[QWEN].files["model.safetensors"].size
    )
    assert anonymous["hf_hub_download_short_ref"].ok, anonymous["hf_hub_download_short_ref"].says()
    snap = anonymous["snapshot_download"].value
    assert "model.safetensors" in snap and "config.json" in snap


def test_lfs_files_redirect_to_the_cdn_with_linked_headers(emulator):
    repo = emulator.repos[QWEN]
    req = urllib.request.Request(
        f"{emulator.url}/{QWEN}/resolve/main/model.safetensors", method="HEAD"
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(req, timeout=5)
        raise AssertionError("expected a 302")
    except urllib.error.HTTPError as e:
        assert e.code == 302
        f = repo.files["model.safetensors"]
        assert e.headers["X-Linked-Etag"] == f'"{f.sha256}"'
        assert e.headers["X-Linked-Size"] == str(f.size)
        assert e.headers["X-Repo-Commit"] == repo.sha
        assert e.headers["Location"].startswith(emulator.cdn_url)
    small = urllib.request.urlopen(
        urllib.request.Request(f"{emulator.url}/{QWEN}/resolve/main/config.json", method="HEAD"),
        timeout=5,
    )
    assert small.headers["ETag"] == f'"{repo.files["config.json"].blob_id}"'
    assert small.headers["X-Repo-Commit"] == repo.sha


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_safetensors_headers_by_range(anonymous, emulator):
    total = emulator.safetensors_summary(emulator.repos[QWEN])["total"]
    single = anonymous["safetensors_metadata"]
    assert single.value[0] is False and sum(single.value[1].values()) == total, single.says()
    sharded = anonymous["safetensors_metadata_sharded"]
    assert sharded.value[0] is True and sum(sharded.value[1].values()) == total, sharded.says()
    assert sharded.value[2] == [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ]
    assert any(r[2] == 206 for r in emulator.requests)


def test_card_and_auth_answers(anonymous):
    assert anonymous["model_card"].value == "apache-2.0"
    assert anonymous["auth_check_public"].ok
    cases = {  # label -> (class, status)
        "auth_check_gated_anonymous": ("GatedRepoError", 401),
        "auth_check_missing_anonymous": ("RepositoryNotFoundError", 401),
        "auth_check_private_anonymous": ("RepositoryNotFoundError", 401),
        "gated_file_anonymous": ("GatedRepoError", 401),
        "missing_file": ("RemoteEntryNotFoundError", 404),
        "bad_revision": ("RevisionNotFoundError", 404),
        "whoami_no_token": ("LocalTokenNotFoundError", None),
        "no_card_model_card": ("RemoteEntryNotFoundError", 404),
    }
    for label, (cls, status) in cases.items():
        o = anonymous[label]
        assert not o.ok and cls in o.exc_mro, o.says()
        if status:
            assert f"{status} Client Error" in o.text or str(status) in o.traceback, o.says()


@pytest.mark.parametrize("state", ["pending", "accepted", "revoked"])
def test_token_states(emulator, state):
    token = {"pending": PENDING, "accepted": GOOD, "revoked": REVOKED}[state]
    emulator.add_token(token, user="learner")
    if state != "revoked":
        emulator.set_access(token, GATED_TINY_ID, state)
        emulator.set_access(token, PRIVATE_ID, "accepted")
    else:
        emulator.revoke(token)
    run = run_online(
        {
            "whoami": "hf.whoami()['name']",
            "gated": f"hf.auth_check('{GATED_TINY_ID}')",
            "gated_file": f"bool(hf.hf_hub_download('{GATED_TINY_ID}', 'config.json'))",
            "private": f"hf.model_info('{PRIVATE_ID}').private",
            "missing": "hf.model_info('nobody/no-such-model')",
            "public": f"hf.model_info('{QWEN}').id",
        },
        emulator.url,
        token=token,
    )
    if state == "revoked":  # every request, public repos too: 401 Invalid credentials
        for label in ("gated", "gated_file", "private", "missing", "public"):
            o = run[label]
            assert not o.ok and INVALID_TOKEN in o.text and "HfHubHTTPError" in o.exc_mro, o.says()
            assert "RepositoryNotFoundError" not in o.exc_mro, o.says()
        assert not run["whoami"].ok and "Invalid user token" in run["whoami"].text
    else:
        assert run["whoami"].value == "learner"
        assert run["private"].value is True
        o = run["missing"]
        assert o.exc_class == "RepositoryNotFoundError" and "404 Client Error" in o.text, o.says()
        assert run["public"].value == QWEN
        if state == "pending":
            for label in ("gated", "gated_file"):
                o = run[label]
                assert o.exc_class == "GatedRepoError" and "403 Client Error" in o.text, o.says()
                assert "awaiting a review" in o.text, o.says()
        else:
            assert run["gated"].ok and run["gated_file"].value is True, run["gated"].says()


def test_stalled_socket_accepts_and_never_answers(emulator):
    start = time.perf_counter()
    with socket.create_connection(
        ("127.0.0.1", int(emulator.stalled_url.rsplit(":", 1)[1])), timeout=2
    ) as s:
        s.sendall(b"GET /api/models HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(1.5)
        with pytest.raises(socket.timeout):
            s.recv(1)
    assert time.perf_counter() - start < 5


def test_closed_port_refuses(emulator):
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", emulator.closed_port), timeout=2)


def test_serves_only_loopback_and_stops(emulator):
    hub = HubEmulator(max_seconds=1).start()
    assert all(s.server_address[0] == "127.0.0.1" for s in hub._servers)
    assert hub._stall.getsockname()[0] == "127.0.0.1"
    port = hub._servers[0].server_address[1]
    time.sleep(1.6)  # max_seconds passed: it stopped by itself
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_no_request_was_left_unanswered(emulator, anonymous):
    assert emulator.unhandled == []


def test_config_only_parameter_counts_match_transformers(emulator):
    """The Hub's public parameter count of a config-only stand-in equals transformers' own count."""
    import torch
    import transformers

    for repo_id in (
        "meta-llama/Llama-3.1-8B-Instruct",
        "google/gemma-2-2b-it",
        "mistralai/Mistral-7B-v0.1",
        "Qwen/Qwen2.5-7B-Instruct",
        "meta-llama/Llama-3.1-70B-Instruct",
    ):
        conf = json.loads(emulator.repos[repo_id].files["config.json"].read())
        with torch.device("meta"):
            model = transformers.AutoModelForCausalLM.from_config(
                transformers.AutoConfig.for_model(**conf)
            )
        assert (
            emulator.safetensors_summary(emulator.repos[repo_id])["total"] == model.num_parameters()
        ), repo_id
