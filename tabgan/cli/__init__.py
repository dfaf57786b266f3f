"""The ``tabgan`` command line: thin click commands over the Python API.

Each command reads its inputs, calls the API (every option is one of its arguments, every
default its default), writes its outputs, and turns tabgan's typed errors into a one-line
message that names the fix.
"""

from tabgan.cli import draft, sample, score, train  # noqa: F401  (each registers its commands)
from tabgan.cli.options import main

__all__ = ["main"]
