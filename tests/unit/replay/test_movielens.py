"""MovieLens ratings to `review_posted`, on a slice written in the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import parse_event
from launch.replay import movielens


def write(tmp_path: Path, *, items: bool = True) -> Path:
    (tmp_path / "u.data").write_text("196\t242\t3\t881250949\n186\t302\t5\t881250900\n"
                                     "22\t377\t1\t878887116\n")
    if items:
        (tmp_path / "u.item").write_bytes(
            b"242|Kolya (1996)|24-Jan-1997||http://x|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
            b"302|L.A. Confidential (1997)|01-Jan-1997||http://x|0|0|0|0|0|0|1|0|0|0|0|0|0"
            b"|0|0|0|0|0|0\n377|Heavyweights (1994)|01-Jan-1994||http://x|0|0|0|0|1|1|0|0|0"
            b"|0|0|0|0|0|0|0|0|0|0\n380|Caf\xe9 (1994)|01-Jan-1994||http://x|0|0|0|0|1|1|0"
            b"|0|0|0|0|0|0|0|0|0|0|0|0\n")
    return tmp_path


def test_ratings_become_reviews_in_time_order(tmp_path: Path) -> None:
    events = movielens.load(write(tmp_path))
    assert [(e["user_id"], e["product_id"], e["rating"]) for e in events] == [
        ("ml-22", "ml-377", 1), ("ml-186", "ml-302", 5), ("ml-196", "ml-242", 3)]
    for ev in events:
        model = parse_event(ev)
        assert model.event_type == "review_posted"
    assert len({e["event_id"] for e in events}) == 3


def test_unknown_movie_is_refused(tmp_path: Path) -> None:
    write(tmp_path)
    (tmp_path / "u.data").write_text("1\t9999\t4\t881250949\n")
    with pytest.raises(ValueError, match="9999"):
        movielens.load(tmp_path)


def test_u_item_is_optional(tmp_path: Path) -> None:
    assert len(movielens.load(write(tmp_path, items=False))) == 3


def test_the_training_set_builder_reads_them_back_as_interactions(tmp_path: Path) -> None:
    from agents.lake.spool import convert_segment
    from contracts import dump_event
    from models.training_set import TrainingSetSpec, build_training_set

    (tmp_path / "ml").mkdir()
    events = movielens.load(write(tmp_path / "ml"))
    segment = tmp_path / "segment.ndjson"
    segment.write_bytes(b"".join(dump_event(parse_event(e)) + b"\n" for e in events))
    convert_segment(segment, tmp_path / "lake")
    built = build_training_set(lake_path=tmp_path / "lake", spec=TrainingSetSpec())
    rows = built.events.sort_values("user_id")
    assert list(zip(rows["user_id"], rows["item_id"], rows["event_type"], strict=True)) == [
        ("ml-186", "product:ml-302", "review_posted"),
        ("ml-196", "product:ml-242", "review_posted"),
        ("ml-22", "product:ml-377", "review_posted")]
    assert built.interactions.nnz == 3
