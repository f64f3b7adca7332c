"""The code version recorded with every valuation, so that a mark can be traced to the code that made it.

`CODE_VERSION` is the installed toudai version plus the first 12 hex digits of a SHA-256 over the
sources of the pricing code (`valuation/pricing/*.py` and `valuation/valuing.py`): two marks with the same code
version were computed by the same models, whatever the package version says.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

from valuation import pricing

__all__ = ["CODE_VERSION"]


def _sources_digest() -> str:
    digest = hashlib.sha256()
    files = [*sorted(Path(pricing.__file__).parent.glob("*.py")), Path(__file__).parent / "valuing.py"]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _package_version() -> str:
    try:
        return importlib.metadata.version("toudai")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


CODE_VERSION = f"toudai-{_package_version()}+valuation.{_sources_digest()}"
