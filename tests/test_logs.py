"""Log lines: the ``extra=`` fields of a record become fields of their own, in logfmt and JSON."""

import json
import logging

from hypothesis import given
from hypothesis import strategies as st

from exporter.logs import JsonFormatter, LogfmtFormatter
from exporter.swr.errors import ApiError, log_fields
from tests.e2e.test_logs_process import logfmt


def record(**extra: object) -> logging.LogRecord:
    made = logging.LogRecord("exporter.test", logging.WARNING, __file__, 1, "collector failed", (), None)
    made.__dict__.update(extra)
    return made


def test_extra_fields_follow_msg_typed_in_json_and_none_left_out():
    line = record(target="prod a", series=12, duration_seconds=1.23456, up=False, code=None)
    assert LogfmtFormatter().format(line).split(" ", 3)[3] == (
        'msg="collector failed" target="prod a" series=12 duration_seconds=1.235 up=false')
    fields = json.loads(JsonFormatter().format(line))
    assert list(fields)[3:] == ["msg", "target", "series", "duration_seconds", "up"]
    assert fields["series"] == 12 and fields["duration_seconds"] == 1.23456 and fields["up"] is False


def test_non_finite_numbers_stay_valid_json():
    assert json.loads(JsonFormatter().format(record(ratio=float("nan"))))["ratio"] == "nan"


def test_an_api_error_gives_its_operation_reason_status_code_and_request_id():
    error = ApiError("ListQuotas", "client_error", status=400, error_code="SVCSTG.SWR.4000001",
                     error_msg="bad", request_id="abc")
    assert log_fields(error) == {"operation": "ListQuotas", "reason": "client_error", "status": 400,
                                 "code": "SVCSTG.SWR.4000001", "request_id": "abc"}
    assert log_fields(ApiError("ListQuotas", "network")) == {"operation": "ListQuotas", "reason": "network"}
    assert log_fields(ValueError("x")) == {} and log_fields(None) == {}


@given(st.text(max_size=40))
def test_any_field_value_survives_logfmt_and_json(value):
    line = record(err=value)
    assert "\n" not in LogfmtFormatter().format(line)
    assert json.loads(JsonFormatter().format(line))["err"] == value
    if value.isprintable():  # the formatter shows other control characters as \x.. escapes
        assert logfmt(LogfmtFormatter().format(line))["err"] == value
