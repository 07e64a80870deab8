"""A whole write batch as one Lua script call: one round trip, atomic per chunk.

Packing thousands of Redis commands in redis-py costs several microseconds each on the
client; a compact JSON payload costs well under one. The script applies each operation with
`redis.call`, so Redis does the work. Chunks bound how long one script blocks the server.
Numbers travel as JSON numbers and are formatted with 17 significant digits (exact).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from features.online.store import (
    AddDistinct,
    Delete,
    IncrFields,
    IncrScores,
    Once,
    PushRecent,
    Remove,
    SetFields,
    SetMissing,
    SetScores,
    Take,
    Write,
)

# ARGV[1]: key prefix; ARGV[2]: JSON list of ops [kind, key, ttl_ms, args(, extra)].
APPLY_LUA = """
local p = ARGV[1]
local expiring = {}  -- key -> the TTL this call set: one PEXPIRE per key, not one per op
local function num(v)
  if type(v) == 'number' then return string.format('%.17g', v) end
  return v
end
-- one call for many arguments, in slices that stay under Lua's stack limit (8,000)
local function many(cmd, key, a, first)
  for i = first, #a, 1000 do redis.call(cmd, key, unpack(a, i, math.min(i + 999, #a))) end
end
local function formatted(a)
  local t = {}
  for i = 1, #a, 2 do t[i] = a[i]; t[i + 1] = num(a[i + 1]) end
  return t
end
local function run(op)
  local kind, key, ttl, a = op[1], p .. op[2], op[3], op[4]
  if kind == 'zi' then
    for i = 1, #a, 2 do redis.call('ZINCRBY', key, num(a[i + 1]), a[i]) end
  elseif kind == 'hi' then
    for i = 1, #a, 2 do redis.call('HINCRBYFLOAT', key, a[i], num(a[i + 1])) end
  elseif kind == 'hs' then
    many('HSET', key, formatted(a), 1)
  elseif kind == 'hn' then
    for i = 1, #a, 2 do redis.call('HSETNX', key, a[i], num(a[i + 1])) end
  elseif kind == 'lp' then
    many('LPUSH', key, a, 2)
    redis.call('LTRIM', key, 0, a[1] - 1)
  elseif kind == 'pf' then
    many('PFADD', key, a, 1)
  elseif kind == 'zs' then
    local t = {}
    for i = 1, #a, 2 do t[i] = num(a[i + 1]); t[i + 1] = a[i] end
    many('ZADD', key, t, 1)
    if op[5] > 0 then redis.call('ZREMRANGEBYRANK', key, 0, -op[5] - 1) end
  elseif kind == 'zr' then
    many('ZREM', key, a, 1)
    expiring[key] = nil  -- the set may be gone, and its TTL with it
  elseif kind == 'del' then
    redis.call('DEL', key)
    expiring[key] = nil
  end
  if ttl > 0 and expiring[key] ~= ttl then
    redis.call('PEXPIRE', key, ttl)
    expiring[key] = ttl
  end
end
local applied = 0
for _, op in ipairs(cjson.decode(ARGV[2])) do
  if op[1] == 'once' then
    if redis.call('SET', p .. 'once:' .. op[2], '1', 'NX', 'PX', op[3]) then
      applied = applied + 1
      for _, inner in ipairs(op[4]) do run(inner) end
    end
  elseif op[1] == 'take' then
    local key = p .. op[2]
    if redis.call('HDEL', key, op[5]) == 1 then
      expiring[key] = nil  -- the hash may be gone
      for _, inner in ipairs(op[4]) do run(inner) end
    end
  else
    run(op)
  end
end
return applied
"""


def _ms(ttl_s: float | None) -> int:
    return int(ttl_s * 1000) if ttl_s else 0


def _flat(mapping: Any) -> list[Any]:
    out: list[Any] = []
    for k, v in mapping.items():
        out.append(k)
        out.append(v)
    return out


def encode(w: Write) -> list[Any]:
    match w:
        case IncrScores():
            return ["zi", w.key, _ms(w.ttl_s), _flat(w.deltas)]
        case IncrFields():
            return ["hi", w.key, _ms(w.ttl_s), _flat(w.deltas)]
        case SetFields():
            return ["hs", w.key, _ms(w.ttl_s), _flat(w.values)]
        case SetMissing():
            return ["hn", w.key, _ms(w.ttl_s), _flat(w.values)]
        case PushRecent():
            return ["lp", w.key, _ms(w.ttl_s), [w.max_len, *w.values]]
        case AddDistinct():
            return ["pf", w.key, _ms(w.ttl_s), list(w.members)]
        case Remove():
            return ["zr", w.key, 0, list(w.members)]
        case SetScores():
            return ["zs", w.key, 0, _flat(w.scores), w.keep or 0]
        case Delete():
            return ["del", w.key, 0, []]
        case Once():
            return ["once", w.token, _ms(w.ttl_s), [encode(x) for x in w.writes]]
        case Take():
            return ["take", w.key, 0, [encode(x) for x in w.writes], w.field]
    raise TypeError(f"unknown write {w!r}")


_GUARDS = ("once", "take")


def _size(op: list[Any]) -> int:
    if op[0] in _GUARDS:
        return 1 + sum(_size(x) for x in op[3])
    return 1 + len(op[3])


def chunks(writes: Sequence[Write], max_ops: int) -> Iterator[bytes]:
    """JSON payloads of at most about `max_ops` Redis calls each."""
    current: list[list[Any]] = []
    size = 0
    for w in writes:
        op = encode(w)
        if not op[3] and op[0] not in ("del", "take"):
            continue
        current.append(op)
        size += _size(op)
        if size >= max_ops:
            yield orjson.dumps(current)
            current, size = [], 0
    if current:
        yield orjson.dumps(current)


def _keyed(script: str) -> str:
    """`APPLY_LUA` with its keys declared (Redis Cluster refuses undeclared keys): each op
    names its key by index into KEYS, and ARGV[1] is the payload. Derived from the one script
    so the two stores cannot drift apart."""
    swaps = (("local p = ARGV[1]\n", ""), ("p .. 'once:' .. op[2]", "KEYS[op[2]]"),
             ("p .. op[2]", "KEYS[op[2]]"), ("cjson.decode(ARGV[2])", "cjson.decode(ARGV[1])"))
    for old, new in swaps:
        if old not in script:
            raise AssertionError(f"APPLY_LUA changed: {old!r} is gone")
        script = script.replace(old, new)
    return script


# KEYS: every key of one hash slot; ARGV[1]: JSON ops whose key is an index into KEYS.
KEYED_APPLY_LUA = _keyed(APPLY_LUA)
