"""Pickle-free save format: `model.json` (name, params) plus `arrays.npz` (numbers, ids)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from models.errors import ModelFormatError

FORMAT_VERSION = 1
META_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"


def write_folder(path: str | Path, *, name: str, params: dict[str, Any],
                 arrays: dict[str, np.ndarray]) -> Path:
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"name": name, "params": params, "format": FORMAT_VERSION}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
    plain: dict[str, Any] = {k: _plain(v) for k, v in arrays.items()}
    np.savez(folder / ARRAYS_FILE, **plain)
    return folder


def read_meta(path: str | Path) -> dict[str, Any]:
    meta_path = Path(path) / META_FILE
    if not meta_path.exists():
        raise ModelFormatError(f"{meta_path} is missing")
    meta: dict[str, Any] = json.loads(meta_path.read_text())
    if meta.get("format") != FORMAT_VERSION:
        raise ModelFormatError(f"unsupported model format {meta.get('format')!r}")
    return meta


def read_arrays(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(Path(path) / ARRAYS_FILE, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def sparse_arrays(prefix: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    return {f"{prefix}.data": matrix.data, f"{prefix}.indices": matrix.indices,
            f"{prefix}.indptr": matrix.indptr, f"{prefix}.shape": np.asarray(matrix.shape)}


def sparse_from(prefix: str, arrays: dict[str, np.ndarray]) -> sp.csr_matrix:
    shape = tuple(int(x) for x in arrays[f"{prefix}.shape"])
    return sp.csr_matrix((arrays[f"{prefix}.data"], arrays[f"{prefix}.indices"],
                          arrays[f"{prefix}.indptr"]), shape=shape)


def _plain(value: np.ndarray) -> np.ndarray:
    """Object arrays of strings are stored as unicode arrays so no pickle is needed."""
    if value.dtype == object:
        return np.asarray([str(v) for v in value], dtype=np.str_)
    return value
