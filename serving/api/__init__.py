"""The HTTP routes, one router per resource (the core's own are in serving.core_api)."""
