"""``python -m lab``: the same command line as the ``lab`` console script."""

from lab.cli import main

if __name__ == "__main__":
    main()
