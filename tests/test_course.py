"""course_utils.course: links built from the one repository name, assets that travel to Colab."""

from __future__ import annotations

import urllib.request

import pytest

import course_utils as cu
from course_utils import course


def _every_download_raises(error: BaseException, monkeypatch, tmp_path) -> None:
    """Work in the empty ``tmp_path``, where every download ``cu.asset`` tries raises ``error``."""

    def urlopen(url, timeout):
        raise error

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.chdir(tmp_path)


def test_badge_links_to_main_on_colab():
    b = course.badge("notebooks/01_hello_gpu.ipynb")
    assert b.startswith(
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    )
    assert b.endswith(
        f"(https://colab.research.google.com/github/{course.REPO}/blob/main/notebooks/01_hello_gpu.ipynb)"
    )


def test_install_line_installs_the_course_extra_from_the_repo():
    assert f"git+https://github.com/{course.REPO}" in course.INSTALL_LINE
    assert "[course]" in course.INSTALL_LINE


def test_asset_found_locally(tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "x.txt").write_text("hi")
    monkeypatch.chdir(tmp_path)
    assert cu.asset("x.txt").read_text() == "hi"


def test_asset_downloaded_when_missing(tmp_path, monkeypatch):
    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def read(self):
            return b"downloaded"

    seen = []
    monkeypatch.setattr(
        urllib.request, "urlopen", lambda url, timeout: seen.append(url) or Response()
    )
    monkeypatch.chdir(tmp_path)
    path = cu.asset("only-on-github.bin")
    assert path.read_bytes() == b"downloaded"
    assert seen == [course.raw_url("notebooks/assets/only-on-github.bin")]


def test_asset_offline_says_what_to_do(tmp_path, monkeypatch):
    _every_download_raises(OSError("Name or service not known"), monkeypatch, tmp_path)
    with pytest.raises(cu.OfflineError, match="clone the repository"):
        cu.asset("missing.bin")


@pytest.mark.parametrize(
    "name",
    ["../../dir/x.png", "/etc/passwd", "a/b.png", "..\\x.png", "", ".", "..", None, 3, " x.png",
     "x\x00.png", "a" * 300],
)  # fmt: skip
def test_asset_takes_plain_names_only(name, tmp_path, monkeypatch):
    _every_download_raises(AssertionError("no download for a refused name"), monkeypatch, tmp_path)
    with pytest.raises(cu.BadInputError, match="plain file name"):
        cu.asset(name)
    assert list(tmp_path.iterdir()) == []


def test_failed_download_leaves_no_assets_folder(tmp_path, monkeypatch):
    _every_download_raises(TimeoutError("timed out"), monkeypatch, tmp_path)
    with pytest.raises(cu.OfflineError, match="timed out"):
        cu.asset("missing.bin")
    assert not (tmp_path / "assets").exists()


def test_failed_download_error_has_no_library_context(tmp_path, monkeypatch):
    _every_download_raises(OSError("Name or service not known"), monkeypatch, tmp_path)
    with pytest.raises(cu.OfflineError) as info:
        cu.asset("missing.bin")
    assert info.value.__cause__ is None and info.value.__suppress_context__
