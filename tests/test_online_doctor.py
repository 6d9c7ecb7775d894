"""cu.doctor online (issue 18), against the Hub emulator: the Hub and token rows a learner sees.

Each scenario runs in a fresh process (tests/online.py) with HF_ENDPOINT at the emulator, at its
stalled socket (accepts, never answers) or at its closed port, and HF_TOKEN valid, revoked or
unset. The Hub row must come back within the 5 s limit and every problem row must say the next
step; the token must never appear, whole or in part, in anything the process wrote.
"""

from __future__ import annotations

import pytest

from tests.hub_emulator import HubEmulator
from tests.online import run_online

GOOD = "hf_emuDoctorGoodToken0123456789abcdef"  # emulator-only, not real tokens
REVOKED = "hf_emuDoctorRevokedToken987654321zyxw"
ROWS = (
    "[[x.topic, x.value, x.fix] for x in "
    "__import__('course_utils.hub_checks', fromlist=['_']).hub_lines()]"
)


@pytest.fixture(scope="module")
def hub():
    with HubEmulator() as emulator:
        emulator.add_token(GOOD, user="learner")
        emulator.add_token(REVOKED, user="learner")
        emulator.revoke(REVOKED)
        yield emulator


def rows(outcome) -> dict[str, tuple[str, str]]:
    assert outcome.ok, outcome.says()
    return {topic: (value, fix) for topic, value, fix in outcome.value}


def doctor_run(url: str, name: str, token: str | None = None, **extra: str):
    """The doctor's Hub and token rows (plus ``extra`` expressions) in a fresh online process."""
    run = run_online({"rows": ROWS, **extra}, url, token=token, name=name)
    return run, rows(run["rows"])


def never_shown(run, token: str) -> None:
    for piece in (token, token[3:11], token[-6:]):
        assert piece not in run.raw, f"the token (or {piece!r} of it) was printed"


def test_hub_answers_and_a_valid_token_is_accepted(hub):
    run, got = doctor_run(
        hub.url, "doctor-good", GOOD, report="str(cu.doctor())", cli="cli('doctor')"
    )
    assert got["hub"] == (f"{hub.url} answers", "")
    value, fix = got["hf token"]
    assert value == "present (from the environment variable HF_TOKEN) and accepted by the Hub"
    assert fix == ""
    assert run["rows"].seconds < 5, run["rows"].says()
    report = run["report"]
    assert report.ok and "\n  hub " in report.text and "\n  hf token " in report.text
    cli = run["cli"].value
    assert cli["rc"] == 0 and "accepted by the Hub" in cli["stdout"], cli
    never_shown(run, GOOD)
    assert ("GET", "/api/whoami-v2", 200, "valid") in hub.requests


def test_a_revoked_token_is_rejected_with_the_next_step_and_never_shown(hub):
    run, got = doctor_run(
        hub.url,
        "doctor-revoked",
        REVOKED,
        report="str(cu.doctor())",
        html="cu.doctor()._repr_html_()",
    )
    assert got["hub"] == (f"{hub.url} answers", "")  # the Hub probe is anonymous: still fine
    value, fix = got["hf token"]
    assert "REJECTED" in value and "revoked" in value and "HF_TOKEN" in value
    assert f"create a new read token at {hub.url}/settings/tokens" in fix  # follows HF_ENDPOINT
    assert "huggingface.co" not in fix and "restart the runtime" in fix
    assert "! hf token" in run["report"].text and "-> create a new read token" in run["report"].text
    assert run["html"].ok and "Next step:" in run["html"].text
    never_shown(run, REVOKED)


def test_no_token_is_fine_for_public_models(hub):
    _, got = doctor_run(hub.url, "doctor-no-token")
    assert got["hub"] == (f"{hub.url} answers", "")
    assert got["hf token"] == ("none (public models work; gated ones need it: Part 8)", "")


def test_a_stalled_hub_is_reported_within_the_5_s_limit_with_the_next_step(hub):
    run, got = doctor_run(hub.stalled_url, "doctor-stall", GOOD, cli="cli('doctor')")
    value, fix = got["hub"]
    assert value.startswith(f"{hub.stalled_url} does not answer ("), value
    assert "HF_HUB_OFFLINE=1" in fix and "internet connection" in fix
    assert 4.0 < run["rows"].seconds < 5.6, run["rows"].says()  # the limit, not huggingface's
    assert got["hf token"] == (
        "present (from the environment variable HF_TOKEN); not checked, the Hub is not reachable",
        "",
    )
    cli = run["cli"].value
    assert cli["rc"] == 0 and "! hub" in cli["stdout"] and "-> check the internet" in cli["stdout"]
    assert run["cli"].seconds < 60, run["cli"].says()
    never_shown(run, GOOD)


def test_a_closed_port_is_reported_at_once_with_the_next_step(hub):
    run, got = doctor_run(hub.closed_url, "doctor-closed")
    value, fix = got["hub"]
    assert value.startswith(f"{hub.closed_url} does not answer (")
    assert "HF_HUB_OFFLINE=1" in fix
    assert run["rows"].seconds < 3, run["rows"].says()
