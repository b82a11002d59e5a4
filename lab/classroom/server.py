"""Start the classroom app's Solara server (what ``lab classroom`` runs).

The server is Solara's own command (``python -m solara run``) in a child process,
with the app's settings in ``LAB_CLASSROOM_*`` environment variables, production
mode, no browser opened by Solara and its usage telemetry switched off (the page
loads nothing from outside the machine: Solara's front-end files come from the
``solara-assets`` package).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass

__all__ = ["ClassroomSettings", "free_port", "server_command", "server_env"]

APP = "lab.classroom.app"


@dataclass(frozen=True)
class ClassroomSettings:
    """What the app shows and where it listens.

    Attributes
    ----------
    host, port : str, int
        Address to listen on (default: this machine only).
    lang : {"en", "zh"}
    scale : float
        Acquisition volumes multiplied by this (0.2: about 4 000 customers a year).
    days : int
        Length of the year played.
    seed : int
    frame_seconds : float
        Pause between two frames while playing.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    lang: str = "en"
    scale: float = 0.2
    days: int = 365
    seed: int = 7
    frame_seconds: float = 0.35

    def __post_init__(self) -> None:
        problems = []
        if self.lang not in ("en", "zh"):
            problems.append(f"lang must be 'en' or 'zh', got {self.lang!r}")
        if not 0 < self.scale <= 5:
            problems.append(f"scale must be in (0, 5], got {self.scale}")
        if not 30 <= self.days <= 3 * 365:
            problems.append(f"days must be in [30, 1095], got {self.days}")
        if not 0 <= self.port <= 65535:
            problems.append(f"port must be in [0, 65535], got {self.port}")
        if not 0.05 <= self.frame_seconds <= 10:
            problems.append(f"frame_seconds must be in [0.05, 10], got {self.frame_seconds}")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def url(self) -> str:
        """Address to open in a browser."""
        return f"http://{self.host}:{self.port}/"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def server_env(settings: ClassroomSettings, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the server process: ``base`` (default ours) plus the app's settings."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "LAB_CLASSROOM_LANG": settings.lang,
            "LAB_CLASSROOM_SCALE": repr(float(settings.scale)),
            "LAB_CLASSROOM_DAYS": str(int(settings.days)),
            "LAB_CLASSROOM_SEED": str(int(settings.seed)),
            "LAB_CLASSROOM_FRAME": repr(float(settings.frame_seconds)),
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        }
    )
    return env


def server_command(settings: ClassroomSettings) -> list[str]:
    """The command line that serves the app."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP,
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]


def start(settings: ClassroomSettings, **popen) -> subprocess.Popen:
    """Start the server in a child process (the caller stops it)."""
    return subprocess.Popen(server_command(settings), env=server_env(settings), **popen)
