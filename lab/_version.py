"""The lab's version, in a module of its own so any layer can stamp outputs with it.

Submodules import ``__version__`` from here, never from the package root: importing
``lab`` loads the whole library, and a low layer that did so would depend on all of it.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
