"""A Stack Exchange dump to community and identity events, on a tiny dump written in the test."""

from __future__ import annotations

from pathlib import Path

from contracts import parse_event
from launch.replay import stackexchange

HEAD = '\ufeff<?xml version="1.0" encoding="utf-8"?>\n'


def dump(tmp_path: Path) -> Path:
    site = tmp_path / "beer-stackexchange"
    site.mkdir()
    files = {
        "posts": [
            '<row Id="1" PostTypeId="1" CreationDate="2014-01-21T20:26:05.383" OwnerUserId="7" '
            'Title="What is a citra hop?" Body="&lt;p&gt;Hops &amp;amp; beer&lt;/p&gt;" '
            'Tags="&lt;hops&gt;&lt;ipa&gt;" />',
            '<row Id="4" PostTypeId="2" ParentId="1" CreationDate="2014-01-21T20:40:00.000" '
            'OwnerUserId="8" Body="&lt;p&gt;A hop variety.&lt;/p&gt;" />',
            '<row Id="5" PostTypeId="4" CreationDate="2014-01-22T00:00:00.000" Body="wiki" />',
        ],
        "comments": [
            '<row Id="1" PostId="4" Text="Nice answer" CreationDate="2014-01-21T21:00:00.000" '
            'UserId="9" />',
            '<row Id="2" PostId="5" Text="on a wiki" CreationDate="2014-01-22T01:00:00.000" />',
        ],
        "votes": [
            '<row Id="1" PostId="1" VoteTypeId="2" CreationDate="2014-01-21T00:00:00.000" />',
            '<row Id="2" PostId="4" VoteTypeId="3" CreationDate="2014-01-22T00:00:00.000" />',
            '<row Id="3" PostId="1" VoteTypeId="5" CreationDate="2014-01-22T00:00:00.000" '
            'UserId="9" />',
        ],
        "users": ['<row Id="7" CreationDate="2014-01-21T20:21:18.797" DisplayName="A" />'],
    }
    for name, rows in files.items():
        body = HEAD + f"<{name}>\n" + "\n".join(f"  {r}" for r in rows) + f"\n</{name}>\n"
        (site / f"{name.capitalize()}.xml").write_text(body, encoding="utf-8")
    return site


def test_dump_becomes_community_events(tmp_path: Path) -> None:
    events = stackexchange.load(dump(tmp_path))
    kinds = [(e["event_type"], e.get("post_id") or e.get("target_id") or e["user_id"])
             for e in events]
    assert kinds == [
        ("user_registered", "beer-7"),
        ("post_created", "beer-1"),
        ("vote_cast", "beer-1"),  # dated the day before: placed at the post's creation
        ("comment_created", "beer-1"),  # the answer
        ("comment_created", "beer-1"),  # the comment under the answer
        ("vote_cast", "beer-a4"),
    ]
    post = events[1]
    assert post["body"] == "Hops & beer" and post["tags"] == ["hops", "ipa"]
    assert post["community_id"] == "beer" and post["user_id"] == "beer-7"
    assert events[2]["occurred_at"] == post["occurred_at"]
    assert events[3]["comment_id"] == "beer-a4" and events[4]["comment_id"] == "beer-c1"
    assert (events[5]["target_type"], events[5]["value"]) == ("comment", -1)
    for ev in events:
        parse_event(ev)


def test_event_ids_are_deterministic(tmp_path: Path) -> None:
    site = dump(tmp_path)
    ids = [e["event_id"] for e in stackexchange.load(site)]
    assert ids == [e["event_id"] for e in stackexchange.load(site)]
    assert len(set(ids)) == len(ids)


def test_tags_in_both_formats() -> None:
    assert stackexchange.tags("<a><b-c>") == ["a", "b-c"]
    assert stackexchange.tags("|a|b-c|") == ["a", "b-c"]
    assert stackexchange.tags("") == []
