"""Readers for the public datasets used by benchmarks (read by path, never copied)."""
