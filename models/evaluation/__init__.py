"""Offline evaluation: splits, ranking metrics and the harness that runs them."""
