"""The key-family table of docs/stream.md, read for the tests that hold the code to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "stream.md"
_ROW = re.compile(r"^\| `(?P<pattern>[^`]+)` \| (?P<type>[^|]+) \| (?P<life>[^|]+) \|")
_PARAM = re.compile(r"<[a-z_]+>")


@dataclass(frozen=True)
class Family:
    pattern: str  # as documented: `inv:{<product_id>}`
    type: str
    lifetime: str  # `TTL …` or `cap …`
    regex: re.Pattern[str]

    @property
    def has_ttl(self) -> bool:
        return self.lifetime.startswith("TTL")

    @property
    def cap(self) -> int | None:
        """The member cap of a capped scored set (`cap 10,000 (newest kept)`), else None."""
        m = re.match(r"cap ([\d,]+)", self.lifetime)
        return int(m.group(1).replace(",", "")) if m else None


def families() -> list[Family]:
    section = DOC.read_text().split("## Key families", 1)[1].split("\n## ", 1)[0]
    out = []
    for line in section.splitlines():
        if (m := _ROW.match(line)) is None:
            continue
        pattern = m["pattern"]
        # An escaped id holds no `:` `{` `}`; other parameters (minutes, domains) no `:` either.
        regex = re.compile(_PARAM.sub(lambda _: "[^:{}]+", re.escape(pattern).replace(
            r"\<", "<").replace(r"\>", ">")) + "$")
        out.append(Family(pattern=pattern, type=m["type"].strip(),
                          lifetime=m["life"].strip(), regex=regex))
    return out


def family_of(key: str, table: list[Family]) -> Family | None:
    found = [f for f in table if f.regex.match(key)]
    assert len(found) <= 1, f"{key} matches several families: {[f.pattern for f in found]}"
    return found[0] if found else None


def problems(writes: object, table: list[Family]) -> list[str]:
    """Writes whose key is in no family, or that lack their family's TTL or cap."""
    from features.online import Delete, Once, PushRecent, Remove, SetScores, Take

    out: list[str] = []
    for w in writes:  # type: ignore[attr-defined]
        key = "once:" + w.token if isinstance(w, Once) else w.key
        family = family_of(key, table)
        if family is None:
            out.append(f"{key}: no family in docs/stream.md")
            continue
        if isinstance(w, Once | Take):
            out += problems(w.writes, table)
            if isinstance(w, Once) and not (family.has_ttl and w.ttl_s > 0):
                out.append(f"{key}: a claim without its TTL")
        elif isinstance(w, Delete | Remove):
            continue
        elif isinstance(w, SetScores):
            if family.cap is None or w.keep != family.cap:
                out.append(f"{key}: keep={w.keep}, documented {family.lifetime}")
        elif family.has_ttl and not w.ttl_s:
            out.append(f"{key}: written without the documented {family.lifetime}")
        elif (isinstance(w, PushRecent) and (cap := re.search(r"cap (\d+)", family.lifetime))
              and w.max_len > int(cap.group(1))):
            out.append(f"{key}: max_len {w.max_len} over {family.lifetime}")
    return out
