"""Write a facts run to a folder: ``facts.csv``, per-seed values, the plot, a manifest.

The folder is written atomically (:func:`lab.io.atomic_folder`).  An existing
folder is replaced only if it is empty or a previous ``lab facts`` output (its
``manifest.json`` says ``"kind": "facts"``): a command never overwrites what it
did not write.
"""

from __future__ import annotations

import json
from pathlib import Path

from lab.i18n import check_lang
from lab.io import atomic_folder, write_csv

__all__ = ["OutputRefused", "check_out", "save_facts"]


class OutputRefused(ValueError):
    """The output folder holds something ``lab facts`` did not write."""


def check_out(out: str | Path) -> None:
    """Raise :class:`OutputRefused` unless ``out`` may be (re)written by ``lab facts``."""
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputRefused(f"--out {out}: exists and is not a folder")
    if not any(out.iterdir()):
        return
    manifest = out / "manifest.json"
    try:
        kind = json.loads(manifest.read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        kind = None
    if kind != "facts":
        raise OutputRefused(
            f"--out {out}: the folder is not empty and was not written by 'lab facts' "
            "(no manifest.json with kind 'facts'); choose another folder"
        )


def _stamp(meta: dict) -> dict[str, str]:
    seeds = meta["seeds"]
    return {
        "kind": "facts",
        "quick": str(meta["quick"]).lower(),
        "seeds": f"{seeds[0]}..{seeds[-1]}",
        "n_seeds": str(len(seeds)),
        "lab_version": meta["lab_version"],
        "git_commit": meta["git_commit"],
        "created_utc": meta["created_utc"],
    }


def save_facts(run, out_dir: str | Path, lang: str = "en", plot: bool = True) -> Path:
    """Write a :class:`~lab.facts.suite.FactsRun` into ``out_dir`` (replaced atomically).

    Files: ``facts.csv`` (one row per fact), ``facts_by_seed.csv`` (every
    measurement), ``facts.png`` (one page, labels in ``lang``) and ``manifest.json``.

    Raises
    ------
    OutputRefused
        ``out_dir`` is a file, or a non-empty folder not written by ``lab facts``.
    """
    from lab.facts.plot import plot_facts
    from lab.facts.suite import FACTS

    check_lang(lang)
    out = Path(out_dir)
    check_out(out)
    stamp = _stamp(run.meta)
    with atomic_folder(out) as tmp:
        write_csv(run.table, tmp / "facts.csv", stamp)
        write_csv(run.by_seed, tmp / "facts_by_seed.csv", stamp)
        files = {"facts.csv": len(run.table), "facts_by_seed.csv": len(run.by_seed)}
        if plot:
            titles = {f.key: (f.label if lang == "en" else f.label_zh) for f in FACTS}
            fig = plot_facts(run.table, labels=titles, lang=lang)
            fig.savefig(tmp / "facts.png", dpi=150)
            files["facts.png"] = 1
        manifest = {
            **run.meta,
            "lang": lang,
            "files": files,
            "passed": int(run.table["pass"].sum()),
            "facts": json.loads(run.table.to_json(orient="records")),
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )
    return out
