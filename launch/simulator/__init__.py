"""Synthetic traffic in every domain, reproducible from a seed."""
