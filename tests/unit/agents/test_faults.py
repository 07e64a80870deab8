"""Whose fault an error is, the number check, and the bounded dead-letter field label."""

from __future__ import annotations

import sqlite3

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from redis import exceptions as redis_errors

from agents.faults import MAX_MAGNITUDE, Unrepresentable, check_representable, is_outage
from agents.metrics import OTHER_FIELD, field_label
from features.online import (
    IncrFields,
    IncrScores,
    Once,
    PushRecent,
    SetFields,
    SetScores,
    StoreUnavailable,
)


def _wrapped(cause: BaseException) -> StoreUnavailable:
    try:
        raise StoreUnavailable(str(cause)) from cause
    except StoreUnavailable as exc:
        return exc


@pytest.mark.parametrize("cause", [
    redis_errors.ConnectionError("refused"), redis_errors.TimeoutError("timed out"),
    redis_errors.BusyLoadingError("LOADING"), redis_errors.ReadOnlyError("READONLY replica"),
    redis_errors.OutOfMemoryError("OOM command not allowed"),
    redis_errors.ResponseError("BUSY Redis is busy running a script"),
    redis_errors.ResponseError("MISCONF Errors writing to the RDB"),
    sqlite3.OperationalError("database is locked"), OSError("disk I/O error"),
])
def test_a_dependency_failing_is_an_outage(cause: BaseException) -> None:
    assert is_outage(_wrapped(cause))


@pytest.mark.parametrize("cause", [
    redis_errors.ResponseError("WRONGTYPE Operation against a key holding the wrong kind"),
    redis_errors.ResponseError("ERR value is not a valid float script: 1, on @user_script:9."),
    redis_errors.ResponseError("ERR increment would produce NaN or Infinity"),
    redis_errors.DataError("Invalid input of type: 'NoneType'"),
    sqlite3.IntegrityError("NOT NULL constraint failed: hash.value"),
    sqlite3.ProgrammingError("Error binding parameter 1"),
])
def test_a_refused_value_is_the_data_s_fault(cause: BaseException) -> None:
    assert not is_outage(_wrapped(cause))


def test_broker_and_plain_errors() -> None:
    assert is_outage(KafkaConnectionError()) and is_outage(KafkaTimeoutError())
    assert is_outage(TimeoutError())
    for exc in (ValueError(), KeyError(), OverflowError(), TypeError(), Unrepresentable()):
        assert not is_outage(exc)


@pytest.mark.parametrize("write", [
    IncrFields(key="k", deltas={"a": 1.0, "b": float("nan")}),
    IncrScores(key="k", deltas={"a": float("inf")}),
    IncrScores(key="k", deltas={"a": -float("inf")}),
    IncrFields(key="k", deltas={"a": 10**30}),
    IncrFields(key="k", deltas={"a": MAX_MAGNITUDE}),
    SetFields(key="k", values={"s": "text", "n": float("nan")}),
    SetScores(key="k", scores={"m": 1e300}),
    Once(token="t", writes=[IncrFields(key="k", deltas={"a": float("nan")})], ttl_s=1.0),
])
def test_numbers_no_store_holds_are_refused_before_any_call(write: object) -> None:
    with pytest.raises((Unrepresentable, TypeError)):
        check_representable([write])  # type: ignore[list-item]


def test_ordinary_writes_pass() -> None:
    check_representable([
        IncrFields(key="k", deltas={"a": 1e15, "b": -1e15, "c": 3}),
        SetFields(key="k", values={"s": "nan", "n": 1.5}),
        PushRecent(key="k", values=["x"], max_len=3),
        Once(token="t", writes=[IncrScores(key="k", deltas={"m": -2.0})], ttl_s=1.0),
    ])


def test_field_labels_are_the_contracts_fields_only() -> None:
    assert field_label("occurred_at") == "occurred_at"
    assert field_label("lines.3.quantity") == "lines.quantity"
    assert field_label("processing") == "processing"
    for junk in ("x" * 100, "ack", "lines.0.nope", "", "\x00"):
        assert field_label(junk) == OTHER_FIELD
