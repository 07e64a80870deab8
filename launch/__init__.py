"""The top layer: the `agora` CLI, the demo, the one-machine stack, the embedded broker, the
simulator and the replays. It may import every package; no package imports it."""
