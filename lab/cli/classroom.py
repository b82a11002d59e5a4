"""``lab classroom``: serve the classroom app (Solara) for a teacher's browser.

The app shows the explorer's levers and a simulated year played day by day (the
pool by lifecycle stage, the referral cascade); see :mod:`lab.classroom`.  It needs
the ``classroom`` extra (``pip install 'private-traffic-lab[classroom]'``); Solara
and the app are imported only when the command runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from lab.cli.common import consoles, fail

__all__ = ["classroom", "register"]


def classroom(
    port: Annotated[int, typer.Option(help="port to listen on (0: any free port)")] = 8765,
    host: Annotated[
        str, typer.Option(help="address to listen on (0.0.0.0: the classroom network)")
    ] = "127.0.0.1",
    lang: Annotated[str, typer.Option(help="language of the app: en or zh")] = "en",
    scale: Annotated[
        float, typer.Option(help="pool size: acquisition x scale (0.2: about 4 000 customers)")
    ] = 0.2,
    days: Annotated[int, typer.Option(help="days in the year played (30-1095)")] = 365,
    seed: Annotated[int, typer.Option(help="seed of the simulated year", min=0)] = 7,
    frame: Annotated[float, typer.Option(help="seconds between frames while playing")] = 0.35,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="open the app in the default browser")
    ] = True,
) -> None:
    """Serve the classroom app: levers, play/step through the year, stages and referrals."""
    import importlib.util

    if importlib.util.find_spec("solara") is None:
        fail("the classroom app needs Solara: pip install 'private-traffic-lab[classroom]'")
    from lab.classroom.server import ClassroomSettings, free_port, start

    try:
        settings = ClassroomSettings(host, port, lang, scale, days, seed, frame)
    except ValueError as exc:
        fail(str(exc))
    if settings.port == 0:
        settings = ClassroomSettings(host, free_port(host), lang, scale, days, seed, frame)
    out, _ = consoles()
    out.print(f"classroom app: {settings.url}  (Ctrl+C stops it)", highlight=False)
    proc = start(settings)
    if open_browser:
        _open_when_ready(settings.url)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        code = proc.wait()
    if code not in (0, -2, -15):
        raise typer.Exit(code=1)


def _open_when_ready(url: str, timeout: float = 120.0) -> None:
    """Open ``url`` in the default browser once the server answers (in a thread)."""
    import threading
    import time
    import urllib.request
    import webbrowser

    def wait_and_open() -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    webbrowser.open(url)
                    return
            except OSError:
                time.sleep(0.5)

    threading.Thread(target=wait_and_open, daemon=True).start()


def register(app: typer.Typer) -> None:
    """Add ``lab classroom`` to ``app``."""
    app.command("classroom")(classroom)
