"""The bottom layer every process shares: typed settings and the Kafka client helpers.

It imports no other package of the project but `contracts`; the CLI and launchers are in `launch`.
"""
