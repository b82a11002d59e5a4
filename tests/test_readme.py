"""The README's Python example runs as written."""

from __future__ import annotations

import re
from pathlib import Path


def test_readme_python_example_runs():
    text = Path("README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert len(block.strip().splitlines()) <= 10
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["res"].daily["orders"].sum() > 0


def test_readme_links_stay_inside_the_repository():
    """Every link in the README names a file of this repository (no ../, no web)."""
    root = Path(__file__).resolve().parent.parent
    text = (root / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)]+)\)", text)
    assert targets, "the README links its documentation pages"
    for target in targets:
        path = target.split("#", 1)[0]
        assert "://" not in target and not path.startswith(("..", "/")), target
        assert (root / path).is_file(), f"README links {target}, which does not exist"
