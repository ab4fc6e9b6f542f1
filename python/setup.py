"""The version comes from the repository's VERSION file, its one source:
the exporter's binary and this package are released together."""
from pathlib import Path

from setuptools import setup

here = Path(__file__).resolve().parent
version_file = here.parent / "VERSION"
setup(version=version_file.read_text(encoding="utf-8").strip())
