"""Adapters: SQLAlchemy tables and mapping, repositories, outbox, Kafka, sandbox payments."""
