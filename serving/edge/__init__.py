"""What every request passes before a route: request id, body limit, API keys, rate limit and
metrics."""
