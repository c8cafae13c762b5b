"""Service.reload: a valid configuration file replaces the running one, an invalid one is refused with the
start-up error text and changes nothing; the web configuration file is part of the same reload."""

from __future__ import annotations

import logging
import time

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from exporter.config.errors import ConfigError
from exporter.config.loader import load_config
from exporter.reloading import Service
from exporter.runtime import build_runtime
from exporter.web.reload import LiveWebConfig
from tests.test_runtime import BASE


def write(path, data) -> None:
    path.write_text(yaml.safe_dump(data))


def service_for(path, web: LiveWebConfig | None = None) -> Service:
    config = load_config(path)
    return Service(config, build_runtime(config), lambda: load_config(path), "/metrics", web)


def reload_metrics(service: Service) -> dict[str, float]:
    body = service.app().exposition.body(None, openmetrics=False, gzip=False).decode()
    return {s.name: s.value for f in text_string_to_metric_families(body) for s in f.samples
            if s.name.startswith("swr_exporter_config_last_reload")}


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "swr-exporter.yml"
    write(path, {"targets": [{**BASE, "name": "a"}, {**BASE, "name": "b"}]})
    return path


def test_a_valid_configuration_takes_and_the_app_serves_the_new_targets(config_file):
    service = service_for(config_file)
    before = reload_metrics(service)
    assert before["swr_exporter_config_last_reload_successful"] == 1
    first_app, a = service.app(), service.runtime.targets[0]
    write(config_file, {"targets": [{**BASE, "name": "a"}, {**BASE, "name": "c"}]})
    time.sleep(0.01)
    assert service.reload() is None
    assert set(service.app().probes) == {"a", "c"} and service.app() is not first_app
    assert service.runtime.targets[0] is a
    after = reload_metrics(service)
    assert after["swr_exporter_config_last_reload_successful"] == 1
    assert after["swr_exporter_config_last_reload_success_timestamp_seconds"] > \
        before["swr_exporter_config_last_reload_success_timestamp_seconds"]


def test_an_invalid_configuration_is_refused_with_the_start_up_text_and_nothing_changes(config_file, caplog):
    service = service_for(config_file)
    app, targets = service.app(), list(service.runtime.targets)
    when = reload_metrics(service)["swr_exporter_config_last_reload_success_timestamp_seconds"]
    write(config_file, {"targets": [{**BASE, "name": "a", "region": "nowhere-1", "endpoint": None}]})
    with pytest.raises(ConfigError) as start_up:
        load_config(config_file)
    with caplog.at_level(logging.ERROR):
        error = service.reload()
    assert error == str(start_up.value) and "unknown region" in error
    assert str(start_up.value) in caplog.text
    assert service.app() is app and service.runtime.targets == targets
    assert not any(each.halt.is_set() for each in targets)
    assert reload_metrics(service) == {"swr_exporter_config_last_reload_successful": 0,
                                       "swr_exporter_config_last_reload_success_timestamp_seconds": when}
    write(config_file, {"targets": [{**BASE, "name": "a"}]})
    assert service.reload() is None
    assert reload_metrics(service)["swr_exporter_config_last_reload_successful"] == 1


def test_an_invalid_web_configuration_refuses_the_whole_reload(config_file, tmp_path):
    web_file = tmp_path / "web.yml"
    web_file.write_text("http_server_config: {}\n")
    service = service_for(config_file, LiveWebConfig(web_file))
    targets = list(service.runtime.targets)
    write(config_file, {"targets": [{**BASE, "name": "z"}]})
    web_file.write_text("basic_auth_users: [nope]\n")
    error = service.reload()
    assert error is not None and "invalid web configuration file" in error and "basic_auth_users" in error
    assert service.runtime.targets == targets


def test_the_reload_metrics_are_on_metrics_in_single_target_mode_too(tmp_path):
    path = tmp_path / "single.yml"
    write(path, BASE)
    service = service_for(path)
    write(path, {**BASE, "poll_interval": "2h"})
    assert service.reload() is None
    assert reload_metrics(service)["swr_exporter_config_last_reload_successful"] == 1
    assert service.runtime.targets[0].target.polling.poll_interval == 7200


def test_an_exporter_once_ready_stays_ready_while_a_target_added_by_reload_polls_first(config_file):
    service = service_for(config_file)
    assert not service.app().ready()
    for poller in service.runtime.pollers:
        poller.first_poll_done.set()
    assert service.app().ready()
    write(config_file, {"targets": [{**BASE, "name": "a"}, {**BASE, "name": "b"}, {**BASE, "name": "new"}]})
    assert service.reload() is None
    assert not service.runtime.pollers[2].first_poll_done.is_set()
    assert service.app().ready()
