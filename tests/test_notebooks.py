"""Every tutorial notebook runs top to bottom in a fresh kernel on a small size.

The notebooks are committed without outputs; here each one is executed with
nbclient in a new kernel of *this* interpreter (so a fresh ``make test`` venv
works without registering a kernelspec), with ``SMALL = True`` injected after the
cell tagged ``parameters`` (the papermill convention).  The committed files must
also be exactly what ``notebooks/build.py`` writes from their percent-format sources
in ``notebooks/src/``, and carry no outputs.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
EXPECTED = {
    "00_classroom_explorer.ipynb",
    "01_quickstart.ipynb",
    "02_funnel_and_lifecycle.ipynb",
    "03_promo_fatigue.ipynb",
    "04_membership_vs_stored_value_vs_coupons.ipynb",
    "05_fission_economics.ipynb",
    "06_contact_frequency_and_blocks.ipynb",
    "07_shop_guides.ipynb",
    "08_calibrate_on_your_orders.ipynb",
    "09_fission_on_a_finite_market.ipynb",
    "10_sweeps_sensitivity_search.ipynb",
    "11_products_coupons_points.ipynb",
}


class ThisPythonKernels(KernelSpecManager):
    """Kernel specs whose ``python3`` kernel is the interpreter running the tests.

    A ``python3`` kernelspec registered elsewhere on the machine (user or system
    Jupyter folders) could point at another Python without ``lab`` installed.
    """

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        from ipykernel.kernelspec import RESOURCES, get_kernel_dict

        return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())


def with_parameters(nb: nbformat.NotebookNode, **params) -> nbformat.NotebookNode:
    """Insert a cell assigning ``params`` after the ``parameters`` cell (papermill style)."""
    idx = next(
        i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    )
    src = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    cell = nbformat.v4.new_code_cell(src, id="injected-parameters")
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(idx + 1, cell)
    return nb


def execute(name: str, **params) -> nbformat.NotebookNode:
    """Run notebook ``name`` in a fresh kernel from the notebooks folder and return it."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb = with_parameters(nb, **params)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=ThisPythonKernels())
    client = NotebookClient(
        nb,
        km=km,
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    try:
        client.execute()
    finally:
        # a kernel manager passed in is not shut down by nbclient itself
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb


def test_every_notebook_is_there():
    assert set(ALL) == EXPECTED


@pytest.mark.parametrize("name", ALL)
def test_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, name
    for c in code:
        assert c.outputs == [], f"{name}: a cell carries outputs"
        assert c.execution_count is None, f"{name}: execution_count is set"
    first = code[0]
    assert "parameters" in first.metadata.get("tags", []), "first code cell must be 'parameters'"
    assert "SMALL = False" in first.source
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_notebooks_are_what_build_py_writes():
    out = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "build.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def load_builder():
    """``notebooks/build.py`` as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_notebook_has_one_source():
    assert {p.stem for p in (NOTEBOOKS / "src").glob("*.py")} == {n[:-6] for n in EXPECTED}


def test_builder_reads_the_percent_format(tmp_path):
    build = load_builder()
    src = tmp_path / "demo.py"
    src.write_text(
        "# %% [markdown]\n# # Title · 标题\n#\n# text\n\n"
        '# %% tags=["parameters"]\nSMALL = False\n\n'
        "# %%\nx = 1\n\n\n"
        '# %% tags=["solution"] jupyter={"source_hidden": true}\nprint(x)\n',
        encoding="utf-8",
    )
    nb = build.notebook(src)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code", "code"]
    assert nb.cells[0].source == "# Title · 标题\n\ntext"
    assert nb.cells[1].metadata["tags"] == ["parameters"]
    assert nb.cells[2].source == "x = 1" and nb.cells[2].metadata == {}
    assert nb.cells[3].metadata == {"tags": ["solution"], "jupyter": {"source_hidden": True}}
    assert [c.id for c in nb.cells] == ["cell-01", "cell-02", "cell-03", "cell-04"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("# %% [markdown]\nnot a comment\n", "demo.py:2"),
        ("x = 1\n# %%\n", "demo.py:1"),
        ("# %% tags=[parameters]\nSMALL = False\n", "demo.py:1"),
        ("# %% hidden\nx = 1\n", "demo.py:1"),
    ],
)
def test_builder_names_file_and_line_of_a_bad_source(tmp_path, text, where):
    build = load_builder()
    src = tmp_path / "demo.py"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(build.SourceError, match=where):
        build.notebook(src)


def test_kernel_is_this_interpreter():
    spec = ThisPythonKernels().get_kernel_spec("python3")
    assert spec.argv[0] == sys.executable


@pytest.mark.parametrize("name", ALL)
def test_notebook_runs_on_a_small_size(name):
    nb = execute(name, SMALL=True)
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    stderr = "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )
    # bilingual figures: every Chinese label found a font
    assert "missing from font" not in stderr, stderr[:2000]
    ran = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in ran)
    # the last code cell produced something: the notebook got to its end
    assert any(c.get("outputs") for c in ran[-3:])


TEACHING = [n for n in ALL if 2 <= int(n[:2]) <= 11]


@pytest.mark.parametrize("name", TEACHING)
def test_teaching_notebook_ends_with_an_exercise_and_a_hidden_solution(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    solution = nb.cells[code[-1]]
    assert "solution" in solution.metadata.get("tags", []), name
    assert solution.metadata["jupyter"]["source_hidden"] is True, name
    exercise = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Exercise" in c.source
    ]
    assert exercise and exercise[-1] < code[-1], name
    # a cell for the student's own code sits between the exercise and its solution
    assert any(exercise[-1] < i < code[-1] for i in code), name


def test_builder_hides_solutions_and_refuses_a_lesson_without_exercise(tmp_path):
    build = load_builder()
    lesson = tmp_path / "05_demo.py"
    head = '# %% tags=["parameters"]\nSMALL = False\n\n# %%\nx = 1\n'
    lesson.write_text(head, encoding="utf-8")
    with pytest.raises(build.SourceError, match=r"05_demo\.py: a teaching notebook must end"):
        build.notebook(lesson)
    lesson.write_text(
        head
        + '\n# %% [markdown]\n# ## Exercise\n#\n# Print x.\n\n# %% tags=["solution"]\nprint(x)\n',
        encoding="utf-8",
    )
    nb = build.notebook(lesson)
    assert nb.cells[-1].metadata == {"tags": ["solution"], "jupyter": {"source_hidden": True}}
    # a solution before its exercise heading is refused too
    lesson.write_text(
        head + '\n# %% tags=["solution"]\nprint(x)\n\n# %% [markdown]\n# ## Exercise\n',
        encoding="utf-8",
    )
    with pytest.raises(build.SourceError, match="no '## Exercise'"):
        build.notebook(lesson)
    # notebooks 00, 01 (and an unnumbered one) need no exercise
    free = tmp_path / "01_intro.py"
    free.write_text(head, encoding="utf-8")
    assert build.notebook(free).cells
