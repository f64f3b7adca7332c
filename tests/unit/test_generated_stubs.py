"""The committed code in toudai/v1 is exactly what proto/ generates (the same check as `make check-stubs`).

A stale stub is a silent contract bug: the server would speak last week's API. If this fails after
editing proto/, run `make proto` and commit the result.
"""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "toudai" / "v1"


def _load_generator() -> object:
    spec = importlib.util.spec_from_file_location("toudai_gen_proto", ROOT / "scripts" / "gen_proto.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generated_files(directory: pathlib.Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*_pb2*.py*"))}


def test_committed_stubs_match_the_proto(tmp_path: pathlib.Path) -> None:
    generator = _load_generator()
    generator.generate(tmp_path)  # type: ignore[attr-defined]
    fresh = _generated_files(tmp_path / "toudai" / "v1")
    committed = _generated_files(COMMITTED)
    assert fresh, "scripts/gen_proto.py generated nothing"
    assert sorted(fresh) == sorted(committed), (
        f"generated files {sorted(fresh)} differ from committed {sorted(committed)}: run `make proto`"
    )
    stale = [name for name in fresh if fresh[name] != committed[name]]
    if stale:
        pytest.fail(f"toudai/v1/{', '.join(stale)} are stale: run `make proto` and commit the result")
