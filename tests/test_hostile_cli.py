"""Hostile input to python -m course_utils: one line on stderr and exit 1, never a traceback."""

from __future__ import annotations

import pytest

from course_utils import cli
from course_utils.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["memory", "7B", "--dtype", "float64"],
        ["memory", "7B", "--gpu", "Voodoo"],
        ["license", "nobody-here/no-such-model"],
        ["memory", "nobody-here/no-such-model"],
    ],
)
def test_course_errors_are_one_line(argv, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_an_unexpected_exception_is_one_line_asking_for_a_report(monkeypatch, capsys):
    import course_utils.licenses as licenses

    def boom(model):
        raise OverflowError("int too large to convert to float\nsecond line")

    monkeypatch.setattr(licenses, "license_info", boom)
    assert main(["license", "x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "OverflowError: int too large to convert to float second line" in err
    assert "report it" in err


def test_a_multi_line_course_error_is_joined(monkeypatch, capsys):
    import course_utils.licenses as licenses
    from course_utils.errors import WontFitError

    def refuse(model):
        raise WontFitError("too big\n  table row\n\nnext step")

    monkeypatch.setattr(licenses, "license_info", refuse)
    assert main(["license", "x"]) == 1
    assert capsys.readouterr().err == "error: too big table row next step\n"


def test_one_line_of_an_empty_message_names_the_type():
    assert cli._one_line(KeyError()) == "KeyError"
