"""What counts as a database outage (503, retry later) rather than a bug or a clash."""

from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core.adapters.database import is_outage


class Orig(Exception):
    def __init__(self, sqlstate: str | None = None) -> None:
        super().__init__("driver error")
        self.sqlstate = sqlstate


def test_unreachable_or_dropped_is_an_outage():
    assert is_outage(OperationalError("connect", {}, Orig("08006")))
    assert is_outage(OperationalError("select", {}, Orig("57P01")))  # admin shutdown
    assert is_outage(PoolTimeout("pool exhausted"))
    dropped = ProgrammingError("select", {}, Orig(), connection_invalidated=True)
    assert is_outage(dropped)


def test_clashes_and_bugs_are_not():
    assert not is_outage(OperationalError("update", {}, Orig("40P01")))  # deadlock: 409
    assert not is_outage(OperationalError("update", {}, Orig("40001")))
    assert not is_outage(IntegrityError("insert", {}, Orig("23505")))
    assert not is_outage(ProgrammingError("select", {}, Orig("42P01")))
    assert not is_outage(ValueError("x"))
