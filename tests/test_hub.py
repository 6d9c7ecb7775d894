"""course_utils.hub: licenses, cards, top models, login and gated access, all offline.

Local folders get hand-written README.md cards; Hub ids come from the offline stand-in Hub
that conftest.py points HF_HOME at (cached cards with the real license metadata).
"""

from __future__ import annotations

import logging
import re
import sys
import types
import warnings

import httpx2
import pytest
from huggingface_hub import constants, get_token
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
)

import course_utils as cu
from course_utils import hub, licenses

SECRET = "hf_courseTestTokenDoNotPrint0123456789"


def make_card(folder, meta: str | None, body: str = "# A model\n"):
    """A model folder whose README.md has `meta` as its YAML block (None: no card at all)."""
    folder.mkdir(parents=True, exist_ok=True)
    if meta is not None:
        (folder / "README.md").write_text(f"---\n{meta}\n---\n{body}" if meta else body)
    return folder


# (category, commercial use) -> licenses as a card's metadata states them
LICENSE_FAMILIES = {
    ("permissive", True): "apache-2.0 | mit | bsd-3-clause",
    ("conditional", None): (
        "llama3.1 | gemma | openrail | bigscience-openrail-m"
        " | other\nlicense_name: acme-model-license\nlicense_link: LICENSE"
    ),
    ("conditional", True): "gpl-3.0",
    ("non-commercial", False): (
        "cc-by-nc-4.0 | cc-by-nc-sa-4.0 | fair-noncommercial-research-license"
        " | other\nlicense_name: acme-research-only"
    ),
}
FOLDER_CARDS = [
    (f"license: {lic}", category, commercial)
    for (category, commercial), licenses in LICENSE_FAMILIES.items()
    for lic in licenses.split(" | ")
] + [("pipeline_tag: text-generation", "unknown", None), ("", "unknown", None)]  # "": no metadata


@pytest.mark.parametrize("meta, category, commercial", FOLDER_CARDS)
def test_license_families_from_folder_cards(tmp_path, meta, category, commercial):
    info = cu.license_info(make_card(tmp_path / "m", meta))
    assert (info.category, info.commercial_use, info.gated) == (category, commercial, False)
    assert "folder" in info.source


@pytest.mark.parametrize(
    "meta, gated",
    [
        ("license: llama3.1\nextra_gated_prompt: You agree to the terms", True),
        ("license: gemma\nextra_gated_button_content: Acknowledge license", True),
        ("license: apache-2.0\ngated: manual", True),
        ("license: apache-2.0\ngated: false", False),
        ("license: apache-2.0", False),
    ],
)
def test_gated_metadata_is_read_offline(tmp_path, meta, gated):
    assert cu.license_info(make_card(tmp_path / "m", meta)).gated is gated


@pytest.mark.parametrize("what", ["no README", "empty"])
def test_folder_without_card_is_unknown_not_an_error(tmp_path, what):
    folder = make_card(tmp_path / "m", None)
    if what == "no README":
        (folder / "config.json").write_text("{}")
    info = cu.license_info(folder)
    assert info.category == "unknown" and info.license is None
    assert "no README.md" in info.source


@pytest.mark.parametrize(
    "model_id, license, category, gated",
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "llama3.1", "conditional", True),
        ("google/gemma-2-2b-it", "gemma", "conditional", True),
        ("facebook/nllb-200-distilled-600M", "cc-by-nc-4.0", "non-commercial", False),
        ("Qwen/Qwen2.5-7B-Instruct", "apache-2.0", "permissive", False),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "apache-2.0", "permissive", False),
    ],
)
def test_license_of_cached_hub_cards(model_id, license, category, gated):
    info = cu.license_info(model_id)
    assert (info.license, info.category, info.gated) == (license, category, gated)
    assert info.source == "the cached model card"


def test_license_info_prints_for_a_learner():
    text = str(cu.license_info("meta-llama/Llama-3.1-8B-Instruct"))
    assert text.splitlines()[0] == "meta-llama/Llama-3.1-8B-Instruct"
    assert "llama3.1" in text and "conditional" in text
    assert "accept the terms on https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct" in text
    html = cu.license_info("facebook/nllb-200-distilled-600M")._repr_html_()
    assert "<table>" in html and "non-commercial" in html


def test_uncached_id_offline_and_bad_paths_are_course_errors(tmp_path):
    with pytest.raises(cu.OfflineError, match="not in the local cache"):
        cu.license_info("nobody-here/no-such-model")
    with pytest.raises(cu.ModelNotFoundError, match="neither a folder"):
        cu.license_info(tmp_path / "does" / "not" / "exist")


def test_check_license_gates_commercial_use():
    with pytest.raises(cu.LicenseError, match="commercial=False"):
        cu.check_license("facebook/nllb-200-distilled-600M")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # silence means no warning at all
        assert (
            cu.check_license("facebook/nllb-200-distilled-600M", commercial=False).category
            == "non-commercial"
        )
        assert cu.check_license("Qwen/Qwen2.5-7B-Instruct").category == "permissive"
    with pytest.warns(licenses.LicenseWarning, match="Read .*huggingface.co/meta-llama"):
        cu.check_license("meta-llama/Llama-3.1-8B-Instruct")
    with pytest.warns(licenses.LicenseWarning, match="conditions"):
        cu.check_license("google/gemma-2-2b-it", commercial=False)


def test_check_license_warns_when_the_card_names_none(tmp_path):
    with pytest.warns(licenses.LicenseWarning, match="names no license"):
        cu.check_license(make_card(tmp_path / "m", "pipeline_tag: fill-mask"))


GOOD_CARD = """# Tiny classifier

## Intended uses & limitations

Sorting short English product reviews into positive and negative. Not for medical text.

## Inputs and outputs

A sentence in, a label with a score out.

## How to use

```python
from transformers import pipeline
clf = pipeline("text-classification", model="me/tiny")
```
"""


def test_card_summary_finds_the_four_things(tmp_path):
    folder = make_card(
        tmp_path / "m", "license: mit\nlanguage: en\npipeline_tag: text-classification", GOOD_CARD
    )
    s = cu.card_summary(folder)
    assert s.task == "text-classification"
    assert s.inputs_outputs == "A sentence in, a label with a score out."
    assert s.intended_use.startswith("Sorting short English product reviews")
    assert 'pipeline("text-classification"' in s.how_to_load
    assert s.languages == ["en"] and s.license.category == "permissive" and s.missing == []
    assert s.downloads is None  # offline: the Hub's numbers are not known


def test_card_summary_says_what_a_thin_card_leaves_out(tmp_path):
    s = cu.card_summary(make_card(tmp_path / "m", "license: apache-2.0", "Just weights.\n"))
    assert s.missing == ["task", "inputs/outputs", "intended use", "how to load"]
    assert "cu.load_model" in s.how_to_load  # a snippet to start from, marked as not the card's
    assert "(the card does not say what it is for)" in str(s)


def test_card_summary_of_a_cached_hub_model():
    s = cu.card_summary("meta-llama/Llama-3.1-8B-Instruct")
    assert s.task == "text-generation" and "de" in s.languages
    assert s.params == 8_030_261_248  # counted from the cached config.json
    assert s.license.gated and "8,030.3M parameters" in str(s)
    assert "<pre>" in s._repr_html_()


def test_online_model_info_feeds_license_and_summary(monkeypatch):
    """The online branch, with the Hub's answer built locally (this machine has no network)."""
    import huggingface_hub
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import ModelInfo

    info = ModelInfo(
        id="meta-llama/Llama-3.1-8B-Instruct",
        downloads=5_000_000,
        likes=4_000,
        gated="manual",
        pipeline_tag="text-generation",
        cardData={"license": "llama3.1", "language": ["en", "de"]},
        safetensors={"parameters": {"BF16": 8_030_261_248}, "total": 8_030_261_248},
    )

    def no_readme(*args, **kwargs):
        raise OSError("README.md not reachable")

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(HfApi, "model_info", lambda self, repo_id, **kw: info)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_readme)
    lic = cu.license_info("meta-llama/Llama-3.1-8B-Instruct")
    assert (lic.category, lic.gated, lic.source) == ("conditional", True, "the Hub")
    s = cu.card_summary("meta-llama/Llama-3.1-8B-Instruct")
    assert (s.downloads, s.likes, s.params, s.languages) == (
        5_000_000,
        4_000,
        8_030_261_248,
        ["en", "de"],
    )
    assert "5,000,000 (last 30 days)" in str(s)


def test_top_models_offline_says_so_and_returns_nothing(capsys):
    assert cu.top_models("text-generation", 5) == []
    assert "Offline" in capsys.readouterr().out
    with pytest.raises(cu.BadInputError):
        cu.top_models("", 5)
    with pytest.raises(cu.BadInputError):
        cu.top_models("text-generation", 0)


# --- tokens ---------------------------------------------------------------------------------


@pytest.fixture
def no_tokens(monkeypatch, tmp_path):
    """No token anywhere: no env vars, an empty token file location, not on Colab."""
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "token"))
    return tmp_path / "token"


def _assert_secret_hidden(status, capsys, caplog):
    captured = capsys.readouterr()
    for text in (
        captured.out,
        captured.err,
        caplog.text,
        str(status),
        repr(status),
        str(vars(status)),
    ):
        assert SECRET not in text and SECRET[3:12] not in text


def test_login_reads_the_env_token_and_never_shows_it(no_tokens, monkeypatch, capsys, caplog):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    caplog.set_level(logging.DEBUG)
    assert get_token() == SECRET  # the real huggingface_hub plumbing sees it too
    status = cu.login()
    assert status.logged_in and status.source == "the environment variable HF_TOKEN"
    assert status.verified is None and "offline" in str(status)
    _assert_secret_hidden(status, capsys, caplog)


def test_login_falls_back_to_the_saved_token(no_tokens, capsys, caplog):
    no_tokens.write_text(SECRET)
    status = cu.login()
    assert status.logged_in and status.source == "the token saved by an earlier login"
    _assert_secret_hidden(status, capsys, caplog)


def test_login_source_order_colab_then_env_then_saved(no_tokens, monkeypatch, capsys, caplog):
    no_tokens.write_text("hf_savedTokenOnDisk")
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", "hf_fromTheOldVariable")
    assert cu.login().source == "the environment variable HUGGING_FACE_HUB_TOKEN"
    monkeypatch.setenv("HF_TOKEN", "hf_fromTheEnvironment")
    assert cu.login().source == "the environment variable HF_TOKEN"
    # Colab's google.colab.userdata exists only on Colab: stand in a module with its `get`
    userdata = types.ModuleType("google.colab.userdata")
    userdata.get = lambda name: SECRET if name == "HF_TOKEN" else None
    colab = types.ModuleType("google.colab")
    colab.userdata = userdata
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)
    status = cu.login()
    assert status.source == "the Colab secret HF_TOKEN"
    _assert_secret_hidden(status, capsys, caplog)


def test_login_without_token_offline_says_how_to_set_one(no_tokens):
    status = cu.login()
    assert not status.logged_in and status.source is None
    assert "Offline" in str(status) and "HF_TOKEN" in str(status)


def test_login_never_prompts_when_nobody_can_answer(no_tokens, monkeypatch):
    import huggingface_hub

    def prompt(*args, **kwargs):
        raise AssertionError("prompted in an automated run")

    monkeypatch.setattr(huggingface_hub, "notebook_login", prompt)
    monkeypatch.setattr(huggingface_hub, "login", prompt)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # online, but in CI
    monkeypatch.setenv("CI", "true")
    status = cu.login(interactive=True)
    assert not status.logged_in and "nobody here can answer" in str(status)


def _on_colab(monkeypatch, get):
    """Stand in Colab's google.colab.userdata module (it exists only on Colab) with ``get``."""
    userdata = types.ModuleType("google.colab.userdata")
    userdata.get = get
    colab = types.ModuleType("google.colab")
    colab.userdata = userdata
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)


def test_login_on_colab_without_a_secret_prompts_only_when_asked(no_tokens, monkeypatch):
    """On Colab a person may be there, but a Run all must not stop at a device-code login."""
    import huggingface_hub

    class SecretNotFoundError(Exception):
        pass

    def no_secret(name):
        raise SecretNotFoundError(name)

    prompts = []
    _on_colab(monkeypatch, no_secret)
    monkeypatch.setattr(huggingface_hub, "notebook_login", lambda *a, **k: prompts.append(1))
    monkeypatch.setattr(huggingface_hub, "login", lambda *a, **k: prompts.append(1))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("CI", raising=False)
    status = cu.login()
    assert prompts == [] and not status.logged_in
    assert "HF_TOKEN" in str(status) and "interactive=True" in str(status)
    status = cu.login(interactive=True)  # asked for: the Hub's own prompt starts
    assert prompts == [1] and not status.logged_in and "No token was entered" in str(status)


ODD_TOKENS = {
    "a space": "hf_courseTest TokenDoNotPrint0123456789",
    "a line break": "hf_courseTest\nTokenDoNotPrint0123456789",
    "a tab": "hf_courseTest\tTokenDoNotPrint0123456789",
    "a non-ASCII character (U+00E9)": "hf_courseTest\u00e9TokenDoNotPrint0123456789",
    "a control character": "hf_courseTest\x07TokenDoNotPrint0123456789",
}


def _chain(exc):
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def _assert_token_absent(exc, token, caplog):
    parts = [p for p in re.split(r"[^!-~]", token) if len(p) >= 8]
    for e in _chain(exc):
        for text in (str(e), repr(e), repr(vars(e)), caplog.text):
            assert not any(p in text for p in parts), f"the token shows in {type(e).__name__}"


@pytest.mark.parametrize("what", ODD_TOKENS)
def test_a_malformed_env_token_is_refused_naming_its_source(no_tokens, monkeypatch, caplog, what):
    token = ODD_TOKENS[what]
    monkeypatch.setenv("HF_TOKEN", token)
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # online: the door, before a request
    for call in (cu.login, lambda: cu.license_info("Qwen/Qwen2.5-0.5B-Instruct"),
                 lambda: cu.check_access("Qwen/Qwen2.5-0.5B-Instruct")):  # fmt: skip
        with pytest.raises(cu.NotLoggedInError) as info:
            call()
        text = str(info.value)
        assert text.startswith(
            f"The Hub token in the environment variable HF_TOKEN is malformed: it holds {what} "
        )
        assert "settings/tokens" in text and "run cu.login() again" in text
        _assert_token_absent(info.value, token, caplog)


def test_malformed_tokens_from_colab_and_the_saved_file_name_their_source(no_tokens, monkeypatch):
    _on_colab(monkeypatch, lambda name: ODD_TOKENS["a space"])
    with pytest.raises(cu.NotLoggedInError, match="in the Colab secret HF_TOKEN is malformed"):
        cu.login()
    monkeypatch.delitem(sys.modules, "google.colab")
    no_tokens.write_bytes(b"hf_saved\xe9\xffToken0123456789")  # not even UTF-8
    with pytest.raises(
        cu.NotLoggedInError, match="saved login file .* is malformed: it holds a non-"
    ):
        cu.login()


def test_spaces_around_a_token_are_dropped_as_huggingface_hub_does(no_tokens, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", f"  {SECRET}\n")
    assert get_token() == SECRET
    status = cu.login()
    assert status.logged_in and status.source == "the environment variable HF_TOKEN"


# --- gated access -----------------------------------------------------------------------------


def test_check_access_offline_names_the_next_step(capsys):
    page = "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct"
    with pytest.raises(cu.OfflineError, match=f"accept the terms on {page}"):
        cu.check_access("meta-llama/Llama-3.1-8B-Instruct")
    assert cu.check_access("meta-llama/Llama-3.1-8B-Instruct", raise_error=False) is False
    assert "offline" in capsys.readouterr().out


def _http_error(cls, status: int):
    request = httpx2.Request(
        "GET", "https://huggingface.co/api/models/meta-llama/Llama-3.1-8B-Instruct/auth-check"
    )
    return cls(f"{status} error", response=httpx2.Response(status, request=request))


@pytest.mark.parametrize(
    "error, has_token, expected, words",
    [
        ((GatedRepoError, 403), False, cu.NotLoggedInError, "settings/tokens"),
        (
            (GatedRepoError, 403),
            True,
            cu.GatedModelError,
            "accept the terms on https://huggingface.co/meta-llama/",
        ),
        ((HfHubHTTPError, 401), False, cu.NotLoggedInError, "no Hub token was found"),
        ((HfHubHTTPError, 401), True, cu.NotLoggedInError, "rejected the token from"),
        ((HfHubHTTPError, 403), True, cu.GatedModelError, "read access to public gated repos"),
        ((RepositoryNotFoundError, 404), True, cu.ModelNotFoundError, "Check the spelling"),
    ],
)
def test_hub_refusals_map_to_course_errors(error, has_token, expected, words):
    err = hub.hub_error(
        "meta-llama/Llama-3.1-8B-Instruct", _http_error(*error), has_token=has_token
    )
    assert type(err) is expected and isinstance(err, cu.CourseError)
    assert words in str(err)


def test_offline_mode_maps_to_offline_error():
    offline = OfflineModeIsEnabled("offline")
    err = hub.hub_error("google/gemma-2-2b-it", offline, has_token=True, wanted=None)
    assert isinstance(
        err, cu.OfflineError
    ) and "https://huggingface.co/google/gemma-2-2b-it" in str(err)
    err = hub.hub_error("google/gemma-2-2b-it", offline)
    assert isinstance(err, cu.OfflineError) and "not in the local cache" in str(err)


def test_hub_requests_get_time_limits_and_fail_fast_once_the_hub_is_down(monkeypatch):
    """Issue 13: timeout=None is filled in, and after one network failure requests fail at once."""
    from huggingface_hub.errors import OfflineModeIsEnabled

    request = httpx2.Request("GET", "https://huggingface.co/api/models/x/y")
    request.extensions["timeout"] = {"connect": None, "read": None, "write": 3.0, "pool": None}
    hub._bound_request(request)
    assert request.extensions["timeout"] == {
        "connect": 5.0, "read": hub.TIMEOUT_S, "write": 3.0, "pool": hub.TIMEOUT_S
    }  # fmt: skip

    class Stalled:
        calls = 0

        def handle_request(self, request):
            Stalled.calls += 1
            raise httpx2.ReadTimeout("timed out", request=request)

    monkeypatch.setattr(hub, "_DOWN_UNTIL", {})
    transport = hub._FailFast(Stalled(), hub._hub_unreachable_error())
    with pytest.raises(httpx2.ReadTimeout):
        transport.handle_request(request)
    with pytest.raises(OfflineModeIsEnabled):  # not retried by huggingface_hub; cache answers
        transport.handle_request(request)
    assert Stalled.calls == 1
    # only that host is marked down: another endpoint (a mirror, a local server) is still tried
    other = httpx2.Request("GET", "http://127.0.0.1:9/api/models/x/y")
    with pytest.raises(httpx2.ReadTimeout):
        transport.handle_request(other)
    assert Stalled.calls == 2
