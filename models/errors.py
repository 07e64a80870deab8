"""Errors raised by the offline models; turned into HTTP codes only at the serving edge."""

from __future__ import annotations


class ModelError(Exception):
    """Base class of every error the models package raises on purpose."""


class ModelFitError(ModelError):
    """The data cannot train this model (empty matrix, wrong shape, bad parameters)."""


class NotFittedError(ModelError):
    """The model was used before `fit` or `load`."""


class UnknownModelError(ModelError, KeyError):
    """No model is registered under that name."""


class ModelFormatError(ModelError):
    """A saved model folder is missing files or was written by another model."""
