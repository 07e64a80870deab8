"""The A/B test: which variant serves a user, and when the challenger has won or lost.

The challenger takes a stable share of users, decided by a hash of the user id (not a random
draw), so a user keeps their variant across requests and processes, and raising the share only
moves users one way. The decision is a sequential test on each arm's live CTR (below).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Literal

from serving.recommend.model_registry import CHALLENGER, CHAMPION, Alias, Served
from serving.recommend.served import ServedModel

_BUCKETS = 10_000


def bucket(user_id: str, salt: str = "agora-ab") -> float:
    """A stable number in [0, 1) for a user."""
    digest = hashlib.blake2b(f"{salt}:{user_id}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") % _BUCKETS) / _BUCKETS


@dataclass(frozen=True, slots=True)
class Assignment:
    variant: Alias
    model: ServedModel | None


def assign(user_id: str, served: Served, challenger_share: float) -> Assignment:
    """The challenger when it is loaded and the user falls in its share, else the champion."""
    if served.challenger is not None and challenger_share > 0 \
            and bucket(user_id) < challenger_share:
        return Assignment(CHALLENGER, served.challenger)
    return Assignment(CHAMPION, served.champion)


# --- deciding: live CTR per arm, and a sequential test that says when the challenger won ---
#
# CTR here is the share of served lists that got a click (each list counted once however
# many of its items were clicked), so every served list is one Bernoulli trial.
#
# The rule is the mixture sequential probability ratio test (mSPRT) of Johari, Koomen,
# Pekelis and Walsh, "Peeking at A/B Tests: Why it matters, and what to do about it"
# (KDD 2017; "Always Valid Inference", Operations Research 70(3), 2022), the test behind
# Optimizely's Stats Engine: for the difference of two proportions with a normal mixture
# N(0, tau^2) over the lift theta = ctr_challenger - ctr_champion,
#
#     Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 * d^2 / (2 V (V + tau^2)))
#
# where d is the observed lift and V its variance (p(1-p)/n of each arm, summed). Its p-value
# 1 / Lambda and its confidence sequence are valid at every look, so the dashboard may check
# it every second and the challenger may be promoted the moment it decides, with a false
# decision rate of at most alpha however often it is looked at. Below `min_served` lists per
# arm the normal approximation is not trusted and nothing is decided.

Status = Literal["no_experiment", "collecting", "running", "won", "lost"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmCounts:
    served: int  # lists served by this arm
    clicked: int  # of them, lists with at least one click


@dataclass(frozen=True, slots=True, kw_only=True)
class Interval:
    low: float
    high: float


def wilson(clicked: int, served: int, *, z: float = 1.959964) -> Interval:
    """The Wilson score interval of a CTR (95% by default); [0, 1] with no data."""
    if served <= 0:
        return Interval(low=0.0, high=1.0)
    p = min(clicked, served) / served
    z2 = z * z
    centre = (p + z2 / (2 * served)) / (1 + z2 / served)
    half = z * math.sqrt(p * (1 - p) / served + z2 / (4 * served * served)) / (1 + z2 / served)
    return Interval(low=max(0.0, centre - half), high=min(1.0, centre + half))


@dataclass(frozen=True, slots=True, kw_only=True)
class SequentialTest:
    """The decision rule's parameters (see above): false decision rate `alpha`, the mixture's
    standard deviation `tau` (the size of lift expected, in CTR points), a minimum sample."""

    alpha: float = 0.05
    tau: float = 0.02
    min_served: int = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    status: Status
    lift: float | None  # ctr_challenger - ctr_champion
    lift_interval: Interval | None  # always valid at level 1 - alpha
    p_value: float | None  # always valid
    reason: str


def decide(champion: ArmCounts, challenger: ArmCounts | None,
           rule: SequentialTest = SequentialTest()) -> Decision:
    """Whether the challenger has won, lost, or not yet decided (see above)."""
    if challenger is None:
        return Decision(status="no_experiment", lift=None, lift_interval=None, p_value=None,
                        reason="no challenger in service")
    fewest = min(champion.served, challenger.served)
    if fewest < rule.min_served:
        return Decision(status="collecting", lift=None, lift_interval=None, p_value=None,
                        reason=f"{fewest} lists served by the smaller arm, "
                               f"{rule.min_served} needed")
    pa = min(champion.clicked, champion.served) / champion.served
    pb = min(challenger.clicked, challenger.served) / challenger.served
    lift = pb - pa
    # a variance of 0 (no clicks at all, or every list clicked) cannot tell arms apart
    v = max(pa * (1 - pa) / champion.served + pb * (1 - pb) / challenger.served, 1e-12)
    t2 = rule.tau * rule.tau
    log_lambda = 0.5 * math.log(v / (v + t2)) + t2 * lift * lift / (2 * v * (v + t2))
    p_value = min(1.0, math.exp(-log_lambda))
    half = math.sqrt(v * (v + t2) / t2 * (2 * math.log(1 / rule.alpha) + math.log((v + t2) / v)))
    interval = Interval(low=lift - half, high=lift + half)
    if interval.low > 0:
        status: Status = "won"
    elif interval.high < 0:
        status = "lost"
    else:
        status = "running"
    reason = {"won": "the challenger's CTR is higher", "lost": "the challenger's CTR is lower",
              "running": "no difference shown yet"}[status]
    return Decision(status=status, lift=lift, lift_interval=interval, p_value=p_value,
                    reason=f"{reason} (mSPRT, alpha={rule.alpha}, tau={rule.tau})")
