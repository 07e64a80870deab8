"""A Stack Exchange site dump (Posts, Comments, Votes, Users .xml) as community events.

- `Users.xml`: `user_registered` (`user_id` `<site>-<Id>`; the dump has free-text locations,
  not country codes, so `country` is `ZZ`, the ISO code for unknown; `channel` `stackexchange`).
- `Posts.xml`: a question (PostTypeId 1) becomes `post_created` (`post_id` `<site>-<Id>`,
  `community_id` the site, title, body as text, tags); an answer (2) becomes `comment_created`
  (`comment_id` `<site>-a<Id>`) on its question. Tag wikis and other post types are left out.
- `Comments.xml`: `comment_created` (`comment_id` `<site>-c<Id>`) on the question, also when the
  comment is under an answer (the catalog's comments belong to posts).
- `Votes.xml`: UpVote (2) / DownVote (3) become `vote_cast` ±1 on the question (`post`) or the
  answer (`comment`, `<site>-a<Id>`). Votes are anonymous in the dumps (no user) and dated to
  the day only; a vote is placed at the later of its day and its post's creation.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from launch.replay.source import ReplayEvent, by_time, event_id, utc

QUESTION, ANSWER = "1", "2"
VOTE_VALUE = {"2": 1, "3": -1}
BODY_MAX = 100_000
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def rows(path: Path) -> Iterator[dict[str, str]]:
    """The attributes of every `<row>` of a dump file, streamed; nothing if it is absent."""
    if not path.exists():
        return
    for _, elem in ET.iterparse(path, events=("end",)):
        if elem.tag == "row":
            yield dict(elem.attrib)
        elem.clear()


def when(value: str) -> datetime:
    return utc(datetime.fromisoformat(value))


def text(markup: str) -> str:
    """HTML body to plain text (the dumps hold rendered HTML)."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", markup))).strip()[:BODY_MAX]


def tags(value: str) -> list[str]:
    """`<a><b>` (older dumps) or `|a|b|` (newer) to a list of tags."""
    return [t for t in re.split(r"[<>|]+", value) if t]


@dataclass(kw_only=True)
class Site:
    name: str
    questions: dict[str, datetime] = field(default_factory=dict)  # id -> created
    answers: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # id -> (q, created)

    def user(self, uid: str | None) -> str | None:
        return f"{self.name}-{uid}" if uid else None

    def post(self, pid: str) -> str:
        return f"{self.name}-{pid}"

    def base(self, kind: str, row_id: str, ts: datetime, uid: str | None) -> ReplayEvent:
        return {"event_id": event_id("stackexchange", self.name, kind, row_id),
                "occurred_at": ts, "user_id": self.user(uid), "session_id": None}


def site_name(path: Path) -> str:
    """`beer-stackexchange` or `beer.stackexchange.com` -> `beer`."""
    return re.split(r"[-.]", path.resolve().name)[0] or "site"


def post_events(site: Site, path: Path) -> list[ReplayEvent]:
    out = []
    for r in rows(path / "Posts.xml"):
        pid, kind, ts = r["Id"], r.get("PostTypeId"), when(r["CreationDate"])
        if kind == QUESTION:
            site.questions[pid] = ts
            out.append({**site.base("post", pid, ts, r.get("OwnerUserId")),
                        "event_type": "post_created", "post_id": site.post(pid),
                        "community_id": site.name, "title": r.get("Title", "")[:1000],
                        "body": text(r.get("Body", "")), "tags": tags(r.get("Tags", ""))})
        elif kind == ANSWER and r.get("ParentId"):
            site.answers[pid] = (r["ParentId"], ts)
            out.append({**site.base("post", pid, ts, r.get("OwnerUserId")),
                        "event_type": "comment_created", "comment_id": site.post(f"a{pid}"),
                        "post_id": site.post(r["ParentId"]), "body": text(r.get("Body", ""))})
    return out


def comment_events(site: Site, path: Path) -> list[ReplayEvent]:
    out = []
    for r in rows(path / "Comments.xml"):
        target = r["PostId"]
        question = site.answers[target][0] if target in site.answers else target
        if question not in site.questions:
            continue  # under a tag wiki or a deleted post
        out.append({**site.base("comment", r["Id"], when(r["CreationDate"]), r.get("UserId")),
                    "event_type": "comment_created", "comment_id": site.post(f"c{r['Id']}"),
                    "post_id": site.post(question), "body": text(r.get("Text", ""))})
    return out


def vote_events(site: Site, path: Path) -> list[ReplayEvent]:
    out = []
    for r in rows(path / "Votes.xml"):
        value = VOTE_VALUE.get(r.get("VoteTypeId", ""))
        target = r.get("PostId", "")
        if value is None:
            continue
        if target in site.questions:
            kind, tid, created = "post", site.post(target), site.questions[target]
        elif target in site.answers:
            kind, tid, created = "comment", site.post(f"a{target}"), site.answers[target][1]
        else:
            continue
        ts = max(when(r["CreationDate"]), created)
        out.append({**site.base("vote", r["Id"], ts, r.get("UserId")),
                    "event_type": "vote_cast", "target_id": tid, "target_type": kind,
                    "value": value})
    return out


def user_events(site: Site, path: Path) -> list[ReplayEvent]:
    return [{**site.base("user", r["Id"], when(r["CreationDate"]), r["Id"]),
             "event_type": "user_registered", "country": "ZZ", "channel": "stackexchange"}
            for r in rows(path / "Users.xml")]


def load(path: Path, *, site: str | None = None) -> list[ReplayEvent]:
    """`path`: the folder of the dump. Users, posts, comments and votes, by time."""
    if not (path / "Posts.xml").exists():
        raise FileNotFoundError(f"{path / 'Posts.xml'} not found")
    s = Site(name=site or site_name(path))
    events = user_events(s, path) + post_events(s, path)
    events += comment_events(s, path) + vote_events(s, path)
    return by_time(events)
