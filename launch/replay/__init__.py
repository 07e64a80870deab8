"""`agora replay`: real datasets turned into catalog events with their own timestamps.

One module per dataset (`movielens`, `online_retail`, `stackexchange`), each turning the files
under a path into event dicts sorted by event time, and `runner`, which validates them against
the contracts and produces them to Kafka at a chosen speed. See docs/replay.md.
"""
