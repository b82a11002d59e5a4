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
