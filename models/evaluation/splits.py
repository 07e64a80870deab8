"""Train/test splits: the Microsoft Recommenders stratified protocol and three more.

`stratified_split` reimplements `python_stratified_split` of microsoft/recommenders
(`_do_stratification` with `is_random=True`): seed numpy's global generator, draw one
uniform number per row, sort by (group, random), rank each row within its group as
`cumcount / count`, and put rows with rank <= ratio into train. Same seed, same input
order, same split.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from models.errors import ModelFitError

Split = tuple[pd.DataFrame, pd.DataFrame]


def stratified_split(data: pd.DataFrame, *, ratio: float = 0.75,
                     filter_by: Literal["user", "item"] = "user", seed: int = 42,
                     user_col: str = "user_id", item_col: str = "item_id") -> Split:
    if not 0.0 < ratio < 1.0:
        raise ModelFitError("ratio must be between 0 and 1")
    by = user_col if filter_by == "user" else item_col
    frame = data.copy()
    np.random.seed(seed)  # the reference protocol seeds the global generator
    frame["_random"] = np.random.rand(frame.shape[0])
    frame = frame.sort_values([by, "_random"])
    groups = frame.groupby(by)
    rank = (groups.cumcount() + 1) / groups[by].transform("count")
    frame = frame.drop(columns="_random")
    return frame[rank <= ratio], frame[rank > ratio]


def random_per_user_split(data: pd.DataFrame, *, ratio: float = 0.8, seed: int = 42,
                          user_col: str = "user_id") -> Split:
    """Each user's interactions, shuffled, `ratio` of them to train."""
    rng = np.random.default_rng(seed)
    frame = data.assign(_random=rng.random(len(data))).sort_values([user_col, "_random"])
    groups = frame.groupby(user_col)
    rank = (groups.cumcount() + 1) / groups[user_col].transform("count")
    frame = frame.drop(columns="_random")
    return frame[rank <= ratio], frame[rank > ratio]


def leave_last_out_split(data: pd.DataFrame, *, user_col: str = "user_id",
                         time_col: str = "timestamp") -> Split:
    """Each user's last interaction to test (users with one interaction stay in train)."""
    frame = data.sort_values([user_col, time_col], kind="stable")
    counts = frame.groupby(user_col)[user_col].transform("count")
    last = (frame.groupby(user_col).cumcount() + 1 == counts) & (counts > 1)
    return frame[~last], frame[last]


def temporal_split(data: pd.DataFrame, *, cutoff: pd.Timestamp | None = None,
                   ratio: float = 0.8, time_col: str = "timestamp") -> Split:
    """Everything before `cutoff` (default: the `ratio` quantile of time) to train."""
    times = pd.to_datetime(data[time_col], utc=True).dt.as_unit("ns").astype("int64").to_numpy()
    cut = int(np.quantile(times, ratio)) if cutoff is None else pd.Timestamp(cutoff).value
    return data[times < cut], data[times >= cut]
