"""The strict YAML reader: libyaml's parser when PyYAML has it, the same duplicate-key rule either way."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from exporter.config import yaml_file
from exporter.config.errors import ConfigError

DUPLICATE = "region: cn-north-4\nauth: {type: aksk}\npoll_interval: 1m\nauth: {type: token}\n"


def test_the_fast_libyaml_parser_is_used_when_pyyaml_has_it():
    assert yaml.__with_libyaml__, "PyPI's PyYAML wheels bundle libyaml; this machine's does not"
    assert issubclass(yaml_file._StrictLoader, yaml.CSafeLoader)


@pytest.mark.parametrize("base", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)],
                         ids=["python", "libyaml"])
def test_a_key_given_twice_is_refused_with_both_lines_by_either_parser(base):
    with pytest.raises(yaml.YAMLError) as raised:
        yaml.load(DUPLICATE, Loader=yaml_file.strict_loader(base))
    assert "mapping key 'auth' already defined at line 2" in str(raised.value)
    assert raised.value.problem_mark.line + 1 == 4  # type: ignore[attr-defined]


@pytest.mark.parametrize("base", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)],
                         ids=["python", "libyaml"])
def test_both_parsers_read_the_same_data_and_no_python_objects(base):
    text = "a: [1, 2.5, null, true]\nb: {c: 'x', <<: {d: 1}}\n"
    assert yaml.load(text, Loader=yaml_file.strict_loader(base)) == {"a": [1, 2.5, None, True],
                                                                     "b": {"c": "x", "d": 1}}
    with pytest.raises(yaml.YAMLError):
        yaml.load("x: !!python/object/apply:os.system ['true']\n", Loader=yaml_file.strict_loader(base))


def test_a_long_repository_list_loads_through_read_yaml(tmp_path: Path):
    lines = ["region: cn-north-4", "repositories:"]
    lines += [f"  - {{organization: org-{n % 50}, name: repo-{n}}}" for n in range(20_000)]
    path = tmp_path / "big.yml"
    path.write_text("\n".join(lines) + "\n")
    data = yaml_file.read_yaml(path)
    assert isinstance(data, dict) and len(data["repositories"]) == 20_000


def test_a_duplicate_key_in_a_file_is_a_config_error_naming_the_line(tmp_path: Path):
    path = tmp_path / "dup.yml"
    path.write_text(DUPLICATE)
    with pytest.raises(ConfigError) as raised:
        yaml_file.read_yaml(path)
    assert raised.value.problems == [
        "line 4, column 1: invalid YAML: mapping key 'auth' already defined at line 2"
    ]
