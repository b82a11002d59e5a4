"""Write the tutorial notebooks from their sources in ``notebooks/src/``.

    python notebooks/build.py          # (re)write notebooks/*.ipynb
    python notebooks/build.py --check  # exit 1 if a committed notebook differs

Each notebook has one source, ``notebooks/src/<name>.py``, in the percent format
that jupytext, VS Code and PyCharm read: ``# %%`` starts a code cell,
``# %% [markdown]`` a markdown cell written as comment lines, and cell metadata
follows the marker as ``key=JSON`` pairs: ``tags=["parameters"]`` for the
parameters cell, ``tags=["solution"]`` for an exercise's solution (the builder
collapses it: ``jupyter.source_hidden``, so a student sees it only on a click).

Every teaching notebook (02–11) ends with an exercise: a markdown cell with a
``## Exercise`` heading, then (last code cell) its hidden solution; the builder
refuses a source without one.  The sources are linted and formatted by ruff
like the rest of the code (``make lint``); edit them, run this script, commit both.

The notebooks are stored without outputs and with null execution counts; the
tests (``tests/test_notebooks.py``) run each one top to bottom in a fresh kernel
with ``SMALL = True`` injected after the cell tagged ``parameters`` (the
papermill convention).  Every notebook is a thin client of ``lab``: helpers it
needs live in ``lab/teaching.py`` or ``lab/explorer.py``, documented and tested.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

#: a cell marker: ``# %%``, optionally ``[markdown]``, then ``key=JSON`` metadata
MARKER = re.compile(r"^# %%(?P<markdown> \[markdown\])?(?P<meta>( .*)?)$")


class SourceError(ValueError):
    """A notebook source that cannot be read; the message names file and line."""


@dataclass
class Cell:
    """One cell of a notebook source."""

    kind: str  # "code" or "markdown"
    line: int  # line of its marker (1-based), for messages
    metadata: dict = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def source(self, where: str) -> str:
        """The cell's text: code as written, markdown without its comment signs."""
        lines = self.lines
        if self.kind == "markdown":
            lines = [
                _uncomment(text, f"{where}:{self.line + 1 + i}") for i, text in enumerate(lines)
            ]
        return "\n".join(lines).strip("\n")


def _uncomment(text: str, where: str) -> str:
    if text == "" or text == "#":
        return ""
    if not text.startswith("# "):
        raise SourceError(f"{where}: a markdown line must start with '# ', got {text!r}")
    return text[2:]


def parse_metadata(text: str, where: str) -> dict:
    """``tags=["a"] jupyter={"source_hidden": true}`` -> a dict (values are JSON)."""
    meta: dict = {}
    rest = text.strip()
    decoder = json.JSONDecoder()
    while rest:
        key, sep, after = rest.partition("=")
        if not sep or not key.isidentifier():
            raise SourceError(f"{where}: cell metadata must be key=JSON pairs, got {rest!r}")
        try:
            value, end = decoder.raw_decode(after)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{where}: {key}= is not JSON: {exc.msg}") from None
        meta[key] = value
        rest = after[end:].strip()
    return meta


def read_cells(path: Path) -> list[Cell]:
    """The cells of a percent-format source file."""
    cells: list[Cell] = []
    for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        m = MARKER.match(text)
        if m:
            meta = parse_metadata(m.group("meta"), f"{path.name}:{i}")
            cells.append(Cell("markdown" if m.group("markdown") else "code", i, meta))
        elif cells:
            cells[-1].lines.append(text)
        elif text.strip():
            raise SourceError(f"{path.name}:{i}: text before the first '# %%' cell marker")
    if not cells:
        raise SourceError(f"{path.name}: no '# %%' cells")
    return cells


#: notebooks that must end with an exercise and its hidden solution
EXERCISE_FROM, EXERCISE_TO = 2, 11


def needs_exercise(path: Path) -> bool:
    """Whether source ``path`` is a teaching notebook (02–11) that ends with an exercise."""
    number = path.stem.split("_", 1)[0]
    return number.isdigit() and EXERCISE_FROM <= int(number) <= EXERCISE_TO


def is_solution(cell: Cell) -> bool:
    """A code cell tagged ``solution``."""
    return cell.kind == "code" and "solution" in cell.metadata.get("tags", [])


def check_exercise(path: Path, cells: list[Cell]) -> None:
    """Raise :class:`SourceError` unless the last code cell is a solution after an exercise."""
    code = [i for i, c in enumerate(cells) if c.kind == "code"]
    last = cells[code[-1]] if code else None
    if last is None or not is_solution(last):
        raise SourceError(
            f"{path.name}: a teaching notebook must end with an exercise whose solution is "
            'the last code cell, tagged ["solution"]'
        )
    heading = [
        i
        for i, c in enumerate(cells)
        if c.kind == "markdown" and any(t.startswith("# ## Exercise") for t in c.lines)
    ]
    if not heading or heading[-1] > code[-1]:
        raise SourceError(
            f"{path.name}:{last.line}: the solution has no '## Exercise' markdown cell before it"
        )


def notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook of source ``path``: stable cell ids, no outputs, the python3 kernel."""
    nb = new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    cells = read_cells(path)
    if needs_exercise(path):
        check_exercise(path, cells)
    for i, c in enumerate(cells, start=1):
        cid = f"cell-{i:02d}"
        text = c.source(path.name)
        if c.kind == "markdown":
            cell = new_markdown_cell(text, id=cid)
        else:
            cell = new_code_cell(text, id=cid)
            cell.execution_count = None
            cell.outputs = []
        cell.metadata.update(c.metadata)
        if is_solution(c):  # collapsed: the student opens it after trying
            cell.metadata["jupyter"] = {**cell.metadata.get("jupyter", {}), "source_hidden": True}
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def sources() -> list[Path]:
    """Every notebook source, in name order."""
    return sorted(SOURCES.glob("*.py"))


def render(path: Path) -> str:
    """The committed text of the notebook built from source ``path``."""
    return nbformat.writes(notebook(path), version=4) + "\n"


def main(argv: list[str]) -> int:
    """Write the notebooks, or with ``--check`` report those that differ or have no source."""
    check = "--check" in argv
    stale = []
    built = set()
    for src in sources():
        target = HERE / f"{src.stem}.ipynb"
        built.add(target.name)
        try:
            text = render(src)
        except SourceError as exc:
            print(f"notebooks/src/{exc}", file=sys.stderr)
            return 2
        if check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(target.name)
        else:
            target.write_text(text, encoding="utf-8")
    orphans = sorted(p.name for p in HERE.glob("*.ipynb") if p.name not in built)
    if orphans:
        print("notebooks without a source in notebooks/src:", ", ".join(orphans))
        return 1
    if stale:
        print("out of date (run python notebooks/build.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
