"""Hostile files (course_utils.validate readers): broken configs, cards and safetensors headers."""

from __future__ import annotations

import json
import os

import pytest

from course_utils import validate
from course_utils.errors import BadInputError, ModelNotFoundError


def refused(reader, path, content: str | bytes, match: str) -> BadInputError:
    """Write ``content`` to ``path``; assert ``reader(path)`` refuses it with a BadInputError that
    matches ``match``, and return that error."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BadInputError, match=match) as info:
        reader(path)
    return info.value


def test_truncated_config(tmp_path):
    path = tmp_path / "config.json"
    text = '{"model_type": "llama", "hidden_size": 40'
    error = refused(validate.read_json, path, text, r"not valid JSON .*line 1.*truncated")
    assert str(path) in str(error) and error.__suppress_context__


def test_binary_config(tmp_path):
    content = os.urandom(64) + b"\xff\xfe"
    refused(validate.read_json, tmp_path / "config.json", content, "not UTF-8 text")


@pytest.mark.parametrize("text", ["[1, 2]", "3", '"x"', "null"])
def test_config_that_is_not_an_object(text, tmp_path):
    refused(validate.read_json, tmp_path / "config.json", text, "not an object")


def test_a_broken_file_in_the_cache_names_the_entry_to_delete(tmp_path):
    snap = tmp_path / "models--owner--name" / "snapshots" / "abc"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{")
    with pytest.raises(BadInputError, match="Delete the cache entry .*models--owner--name"):
        validate.read_json(snap / "config.json")


def test_a_missing_config(tmp_path):
    with pytest.raises(ModelNotFoundError, match="Cannot read"):
        validate.read_json(tmp_path / "config.json")


def test_a_good_config(tmp_path):
    (tmp_path / "config.json").write_text('{"a": 1}')
    assert validate.read_json(tmp_path / "config.json") == {"a": 1}


def card(tmp_path, content):
    path = tmp_path / "README.md"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_card_with_broken_yaml_names_the_line(tmp_path):
    path = card(tmp_path, "---\nlicense: mit\ntags: [a, b\n---\n# Model\n")
    with pytest.raises(BadInputError, match="broken at line") as info:
        validate.card_meta(path)
    assert "Fix the YAML" in str(info.value)


def test_card_with_a_tab(tmp_path):
    path = card(tmp_path, "---\nlicense: mit\ntags:\n\t- a\n---\ntext\n")
    with pytest.raises(BadInputError, match="tabs"):
        validate.card_meta(path)


def test_card_with_a_list_as_front_matter(tmp_path):
    path = card(tmp_path, "---\n- mit\n- apache-2.0\n---\ntext\n")
    with pytest.raises(BadInputError, match="YAML list"):
        validate.card_meta(path)


@pytest.mark.parametrize(
    "content", [os.urandom(200) + b"\xff", "---\nlicense: café\n---\n".encode("latin-1")]
)
def test_binary_or_latin1_card(tmp_path, content):
    with pytest.raises(BadInputError, match="not UTF-8"):
        validate.card_meta(card(tmp_path, content))


@pytest.mark.parametrize(
    ("content", "meta", "text"),
    [("---\nlicense: mit\n---\n# Hi\n", {"license": "mit"}, "# Hi\n"),
     ("# No metadata\n", {}, "# No metadata\n"), ("---\n---\nbody", {}, "body"),
     ("\ufeff---\r\nlicense: yes\r\n---\r\nx", {"license": True}, "x")],
)  # fmt: skip
def test_readable_cards(tmp_path, content, meta, text):
    assert validate.card_meta(card(tmp_path, content)) == (meta, text)


def test_load_card_gives_a_model_card(tmp_path):
    loaded = validate.load_card(card(tmp_path, "---\nlicense: 2\n---\nbody\n"))
    assert loaded.data.to_dict()["license"] == 2


def safetensors_file(path, tensors=None, body=b""):
    header = json.dumps(tensors or {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})
    raw = header.encode()
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + body)
    return path


def test_good_safetensors_header(tmp_path):
    path = safetensors_file(tmp_path / "model.safetensors", body=b"\0" * 8)
    assert validate.safetensors_header(path)["w"]["shape"] == [2]


def test_truncated_safetensors(tmp_path):
    path = safetensors_file(tmp_path / "model.safetensors", body=b"\0" * 3)
    with pytest.raises(BadInputError, match="truncated download"):
        validate.safetensors_header(path)


@pytest.mark.parametrize("content", [b"", os.urandom(4096), b"\x05", b"\x10\0\0\0\0\0\0\0{}"])
def test_empty_random_or_cut_safetensors(tmp_path, content):
    path = tmp_path / "model.safetensors"
    refused(validate.safetensors_header, path, content, "not a complete safetensors file")


def test_safetensors_written_by_the_library_reads(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    path = tmp_path / "model.safetensors"
    save_file({"a": torch.zeros(3, 2)}, str(path))
    assert validate.safetensors_header(path)["a"]["shape"] == [3, 2]
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(BadInputError, match="truncated"):
        validate.safetensors_header(path)


# --- the same files reached through the public helpers (the readers are wired in) ------------


def _tiny(tmp_path):
    from tests.fakes import tiny_llama_folder

    return tiny_llama_folder(tmp_path / "llama")


@pytest.mark.parametrize(
    ("content", "said"),
    [("---\nlicense: mit\ntags: [a, b\n---\n# Model\n", "broken at line"),
     ("---\nlicense: mit\ntags:\n\t- a\n---\n", "tabs"), ("---\n- mit\n---\n", "YAML list"),
     ("---\nlicense: café\n---\n".encode("latin-1"), "not UTF-8")],
)  # fmt: skip
def test_card_helpers_name_a_broken_card(tmp_path, content, said):
    import course_utils as cu

    card(tmp_path, content)
    for helper in (cu.card_summary, cu.license_info):
        with pytest.raises(BadInputError, match=said) as info:
            helper(tmp_path)
        assert str(tmp_path / "README.md") in str(info.value)


@pytest.mark.parametrize("text", ['{"model_type": "lla', "[1, 2]", b"\x89PNG\r\n\x1a\n\0\0"])
def test_estimate_memory_names_a_broken_config(tmp_path, text):
    import course_utils as cu

    path = tmp_path / "config.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    for model in (tmp_path, path):
        with pytest.raises(BadInputError, match=r"The config .*config\.json (is not|holds)"):
            cu.estimate_memory(model)


@pytest.mark.parametrize("content", [b"", os.urandom(4096)])
def test_load_model_refuses_a_broken_weights_file_before_loading(tmp_path, content):
    import course_utils as cu

    folder = _tiny(tmp_path)
    (folder / "model.safetensors").write_bytes(content)
    with pytest.raises(BadInputError, match="not a complete safetensors file.*save the model"):
        cu.load_model(folder, verbose=False, check_memory=False)


def test_load_model_refuses_a_truncated_weights_file(tmp_path):
    import course_utils as cu

    folder = _tiny(tmp_path)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(BadInputError, match="truncated download"):
        cu.load_model(folder, verbose=False, check_memory=False)
