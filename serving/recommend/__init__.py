"""Recommendations: the service, the models followed in the registry, live signals, fallbacks."""
