"""The package contract: cheap import, every public name resolves, errors and requirements."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import course_utils
from course_utils import errors

ROOT = Path(__file__).resolve().parent.parent


HEAVY = (
    "torch",
    "transformers",
    "huggingface_hub",
    "accelerate",
    "bitsandbytes",
    "matplotlib",
    "ipywidgets",
)
# What importing each module (or touching a name) may pull in: nothing heavy at import time.
LIGHT_IMPORTS = {
    "import course_utils": HEAVY,
    "import course_utils.hub": ("torch", "transformers"),
    "import course_utils.licenses, course_utils.cards, course_utils.access": (
        "torch",
        "transformers",
    ),
    "import course_utils.loading, course_utils.preflight, course_utils.footprint": HEAVY,
    "import course_utils.memory, course_utils.levers, course_utils.resolve": HEAVY,
    "import course_utils as cu; cu.estimate_memory; cu.bytes_per_param('bf16')": ("torch",),
}


@pytest.mark.parametrize("code", LIGHT_IMPORTS)
def test_importing_stays_light(code):
    probe = (
        f"import sys, time; t = time.perf_counter(); {code}; dt = time.perf_counter() - t; "
        f"print(dt, [m for m in {LIGHT_IMPORTS[code]!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    dt, heavy = out.stdout.split(" ", 1)
    assert heavy.strip() == "[]", f"`{code}` pulled in {heavy.strip()}"
    assert float(dt) < 0.5, f"`{code}` took {float(dt):.2f} s"


@pytest.mark.parametrize("name", sorted(course_utils._LAZY))
def test_every_public_name_resolves(name):
    module = importlib.import_module(f"course_utils.{course_utils._LAZY[name]}")
    assert hasattr(module, name), f"course_utils.{course_utils._LAZY[name]} does not define {name}"
    assert getattr(course_utils, name) is getattr(module, name)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        course_utils.no_such_helper  # noqa: B018


def test_every_error_is_a_course_error():
    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, Exception)
    ]
    assert len(classes) >= 10
    assert all(issubclass(c, errors.CourseError) for c in classes)


def test_requirements_have_upper_bounds_and_say_who_needs_them():
    for fname in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / fname).read_text().splitlines():
            if not line.strip() or line.startswith(("#", "-r")):
                continue
            spec, _, comment = line.partition("#")
            assert "<" in spec or "==" in spec, f"{fname}: {spec.strip()} has no upper bound"
            assert comment.strip(), f"{fname}: {spec.strip()} does not say which parts need it"


def test_course_extra_mirrors_requirements_without_torch():
    req = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        spec = line.partition("#")[0].strip()
        if spec:
            req[re.split(r"[<>=!]", spec)[0].lower()] = spec.replace(" ", "")
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["course"]
    assert "torch" in req
    del req["torch"]  # Colab keeps its own CUDA build
    assert sorted(req.values()) == sorted(e.replace(" ", "") for e in extra)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _imports_from(path: Path) -> list[tuple[str, str, int]]:
    """(module, name, line) of each ``from X import name`` in a course_utils file, lazy ones too."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = parts if path.name == "__init__.py" else parts[:-1]
    package = package[:-1] if package[-1] == "__init__" else package
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            found += [(module, alias.name, node.lineno) for alias in node.names]
    return found


# A package's __init__ may gather its own submodules' private helpers (the exercises' checkers
# share answers.py's). Nothing else reaches into another module's private names.
OWN_SUBMODULES = {"course_utils.exercises": "course_utils.exercises.answers"}


def test_no_module_imports_another_modules_private_names():
    """A name with a leading underscore is its module's own business: a second module that
    needs it needs a public name (issue 29). Private modules (_display, _quiet) are fine."""
    offences = []
    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        here = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for module, name, line in _imports_from(path):
            if not module.startswith("course_utils") or OWN_SUBMODULES.get(here) == module:
                continue
            is_module = (ROOT / Path(*module.split("."), f"{name}.py")).is_file()
            if name.startswith("_") and not name.startswith("__") and not is_module:
                offences.append(f"{here}:{line} imports {module}.{name}")
    assert not offences, "\n".join(offences)


def test_every_module_stands_on_a_floor_that_make_lint_checks():
    """The layers contract names every module of course_utils (a new one must be placed), and
    `make lint` runs it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    placed = {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}
    modules = {p.stem if p.name != "__init__.py" else p.parent.name
               for p in (ROOT / "course_utils").glob("*/__init__.py")}  # fmt: skip
    modules |= {p.stem for p in (ROOT / "course_utils").glob("*.py") if p.name != "__init__.py"}
    assert sorted(modules - placed) == [], "modules on no floor of [tool.importlinter]"
    assert sorted(placed - modules) == [], "floors naming modules that do not exist"
    lint = (ROOT / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "lint-imports" in lint
