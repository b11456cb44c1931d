"""Checks shared by the adversarial tests: exit code, Danish message, no traceback, files unchanged."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def folder_state(folder: Path) -> dict[str, str]:
    """Every file in a folder and its SHA-256 (to show that nothing was added, removed or changed)."""
    out = {}
    for p in sorted(Path(folder).iterdir()):
        if p.is_file() and os.access(p, os.R_OK):
            out[p.name] = digest(p)
        else:
            out[p.name] = "?"
    return out


class Result:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Result(code={self.code}, err={self.err!r})"


def assert_refused(result: Result, *words: str) -> None:
    """Exit 2, a Danish message containing every word (case-insensitive), and no traceback."""
    assert result.code == 2, result
    assert "Traceback" not in result.err and "Traceback" not in result.out, result.err
    assert any(line.startswith("Fejl: ") for line in result.err.splitlines()), result.err
    text = result.err.lower()
    for w in words:
        assert w.lower() in text, f"{w!r} not in {result.err!r}"
