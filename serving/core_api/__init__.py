"""The transactional core inside the API: its routes, request and response bodies, and runtime."""
