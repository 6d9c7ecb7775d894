"""Hostile license fields: every entry judged, ids normalised, odd values answered clearly."""

from __future__ import annotations

import pytest

from course_utils.card_reader import Card
from course_utils.licenses import license_from_card, normalise_id


def info(**meta):
    return license_from_card(Card(model="someone/model", meta=meta, text="", source="test"))


@pytest.mark.parametrize(
    "field",
    [["mit", "cc-by-nc-4.0"], ["cc-by-nc-4.0", "mit"], ["apache-2.0", "CC-BY-NC-SA-4.0", "mit"]],
)
def test_a_list_is_as_free_as_its_strictest_entry(field):
    lic = info(license=field)
    assert lic.category == "non-commercial" and lic.commercial_use is False
    assert "strictest" in lic.meaning


def test_copyleft_beats_permissive_in_a_list():
    lic = info(license=["mit", "gpl-3.0"])
    assert (lic.license, lic.category) == ("gpl-3.0", "conditional")


def test_a_list_of_permissive_licenses_stays_permissive():
    assert info(license=["MIT", "apache-2.0"]).category == "permissive"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("apache 2.0", "apache-2.0"), ("Apache-2.0", "apache-2.0"), ("  MIT ", "mit"),
     ("Apache", "apache-2.0"), ("apache_2.0", "apache-2.0"), ("GPL v3", "gpl-3"),
     ("CC BY NC 4.0", "cc-by-nc-4.0"), ("", None), ("   ", None), (True, None), (2, None)],
)  # fmt: skip
def test_normalise_id(typed, expected):
    assert normalise_id(typed) == expected


@pytest.mark.parametrize("typed", ["apache 2.0", "APACHE-2.0", "Apache 2.0 ", "mit "])
def test_spellings_of_permissive_licenses_are_permissive(typed):
    assert info(license=typed).category == "permissive"


def test_cc_by_nc_with_spaces_is_non_commercial():
    assert info(license="CC BY-NC 4.0").commercial_use is False


@pytest.mark.parametrize("value", [True, False, 2, 3.5, {"id": "mit"}, [True], [2, "mit"]])
def test_a_field_that_is_not_text_is_unknown_with_the_value_named(value):
    lic = info(license=value)
    assert lic.category == "unknown" and lic.commercial_use is None
    assert "not a license id" in lic.meaning
    assert str(lic)  # the table prints


def test_an_empty_list_is_unknown():
    assert info(license=[]).category == "unknown"


@pytest.mark.parametrize("name", [2, True, ["x"], None])
def test_license_name_that_is_not_text_is_ignored(name):
    lic = info(license="other", license_name=name, license_link=5)
    assert lic.license_name is None and lic.license_link is None
    assert lic.category == "conditional"


def test_other_with_a_non_commercial_name():
    assert info(license="Other", license_name="Research-only license").commercial_use is False
