"""Processes of the core: the outbox relay (`agora relay`)."""
