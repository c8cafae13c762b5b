"""``enterprise: {instances: {include, exclude}}``: fully anchored instance-name filters, errors with paths,
and the Enterprise collectors' defaults (off; enterprise_jobs every 5m, enterprise_artifacts hourly)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.collectors import registry
from exporter.config.errors import ConfigError
from exporter.config.loader import parse_config

BASE = {"region": "cn-north-4", "project_id": "0" * 32,
        "auth": {"type": "aksk", "access_key": "ak", "secret_key": "sk"}}


def polling(**settings):
    config = parse_config({**BASE, **settings}, base_dir=Path("."), environ={}, hostname=lambda: "x-0")
    return config.targets[0].polling


def problems(**settings) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        polling(**settings)
    return caught.value.problems


def test_by_default_every_instance_is_watched_and_the_enterprise_collectors_are_off():
    p = polling()
    assert p.watches_instance("anything")
    assert not {"enterprise", "enterprise_jobs", "enterprise_artifacts"} & set(registry.enabled(p))
    specs = {spec.name: spec for spec in registry.REGISTRY}
    assert specs["enterprise_jobs"].interval(p) == 300.0
    assert specs["enterprise_artifacts"].interval(p) == 3600.0
    assert specs["enterprise"].interval(p) == p.poll_interval


def test_instance_filters_are_fully_anchored():
    p = polling(enterprise={"instances": {"include": ["prod"], "exclude": ["prod-old.*"]}})
    assert p.watches_instance("prod")
    assert not p.watches_instance("prod-2")
    assert not p.watches_instance("my-prod")


def test_a_target_overrides_the_top_level_instance_filter():
    config = parse_config({"enterprise": {"instances": {"include": ["a"]}},
                           "targets": [{**BASE, "name": "t1"},
                                       {**BASE, "name": "t2",
                                        "enterprise": {"instances": {"include": ["b"]}}}]},
                          base_dir=Path("."), environ={}, hostname=lambda: "x-0")
    first, second = (target.polling for target in config.targets)
    assert first.watches_instance("a") and not first.watches_instance("b")
    assert second.watches_instance("b") and not second.watches_instance("a")


@pytest.mark.parametrize(("settings", "problem"), [
    ({"enterprise": {"instance": {}}}, "enterprise.instance: unknown key (did you mean 'instances'?)"),
    ({"enterprise": {"instances": {"include": ["ee-("]}}},
     'enterprise.instances.include[0]: invalid regular expression "ee-(": '
     "missing ), unterminated subpattern at position 3"),
    ({"enterprise": {"instances": {"exclude": [3]}}},
     "enterprise.instances.exclude[0]: must be a regular expression string, got int"),
    ({"enterprise": ["x"]}, "enterprise: must be a mapping, got list"),
])
def test_mistakes_name_their_path(settings, problem):
    assert problems(**settings) == [problem]
