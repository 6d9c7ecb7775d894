"""Where the course lives: the one place that names the repository (badges, installs, assets)."""

from __future__ import annotations

from pathlib import Path

from .version import install_line

REPO = "practical-pytorch/practical-pytorch"  # GitHub owner/name
BRANCH = "main"  # links point at main (links to master have broken for other courses)

INSTALL_LINE = install_line(repo=REPO)  # pinned to this release (version.py)


def colab_url(path: str) -> str:
    """The Colab link that opens ``path`` (e.g. notebooks/01_hello_gpu.ipynb) from GitHub."""
    return f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/{path}"


def badge(path: str) -> str:
    """The "Open in Colab" badge markdown for a notebook."""
    return (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(path)})"
    )


def raw_url(path: str) -> str:
    """The download link of a file in the repository."""
    return f"https://raw.githubusercontent.com/{REPO}/{BRANCH}/{path}"


def asset(name: str) -> Path:
    """Path to a course asset (notebooks/assets/NAME): local when the repo is here, else downloaded.

    A notebook opened on Colab from its badge has no repository files beside it, so the asset is
    fetched once into ./assets/ (written only once the download succeeded). Parts 7 and 9 use it.
    """
    from .errors import OfflineError
    from .validate import file_name

    name = file_name(name, "asset name")
    for base in (
        Path.cwd() / "assets",
        Path.cwd() / "notebooks" / "assets",
        Path(__file__).resolve().parent.parent / "notebooks" / "assets",
    ):
        if (base / name).is_file():
            return base / name
    import urllib.request

    url = raw_url(f"notebooks/assets/{name}")
    try:
        with urllib.request.urlopen(url, timeout=15) as r:
            data = r.read()
    except (OSError, ValueError) as exc:
        raise OfflineError(
            f"Could not download the course asset {name!r} from {url} ({exc}). Check the internet "
            "connection, or clone the repository and open the notebook from its notebooks/ folder."
        ) from None
    target = Path.cwd() / "assets" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target
