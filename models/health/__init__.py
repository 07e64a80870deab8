"""Health risk models: calibrated, explained, cross-validated. Not a diagnosis."""
