"""bench.models rewrites only its own section of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

from bench.models import write_section


def test_only_the_models_section_changes(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Simulator\n\nfast\n\n## Models\n\nold\n\n## Serving\n\nok\n")
    write_section("## Models\n\nnew figures\n", doc)
    text = doc.read_text()
    assert "## Simulator\n\nfast" in text and "## Serving\n\nok" in text
    assert "new figures" in text and "old" not in text
    fresh = tmp_path / "fresh.md"
    write_section("## Models\n\nfirst\n", fresh)
    assert fresh.read_text().startswith("# Benchmarks") and "first" in fresh.read_text()
