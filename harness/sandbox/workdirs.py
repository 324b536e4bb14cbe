"""Private per-run working directories for one-shot sandbox runs, removed however a run left them."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any


def _user_name() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def check_name(name: str) -> str:
    """A sandbox file name: relative, no '..' (ValueError otherwise)."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
        raise ValueError(f"sandbox file name escapes the work dir: {name!r}")
    return name


class WorkDirs:
    """Private per-run directories under one root the harness owns; each removed after its run."""

    def __init__(self, prefix: str = "harness-sbx-") -> None:
        self._remove_stale(prefix)
        self.root = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
        os.chmod(self.root, 0o711)

    @staticmethod
    def _remove_stale(prefix: str) -> None:
        """Remove roots left by harness processes that were killed before they could clean up."""
        for old in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
            pid = old.name[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and old.owner() == _user_name() and not Path(f"/proc/{pid}").exists():
                for child in old.iterdir():
                    WorkDirs.remove(child)
                shutil.rmtree(old, ignore_errors=True)

    def create(self, files: Mapping[str, str | bytes]) -> Path:
        """A fresh directory holding `files` (names relative, no '..')."""
        work = Path(tempfile.mkdtemp(dir=self.root))
        os.chmod(work, 0o777)
        for name, content in files.items():
            path = work / check_name(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            path.write_bytes(data)
        return work

    @staticmethod
    def read_back(work: Path, names: Sequence[str], cap: int) -> dict[str, bytes]:
        """Regular files the run left (symlinks and oversize files are ignored)."""
        got: dict[str, bytes] = {}
        for name in names:
            path = work / name
            try:
                st = path.lstat()
            except OSError:
                continue
            if path.is_symlink() or not path.is_file() or st.st_size > cap:
                continue
            with open(path, "rb") as fh:
                got[name] = fh.read(cap)
        return got

    @staticmethod
    def remove(work: Path) -> None:
        """Remove a run's directory, even when the program made parts of it read-only."""

        def fix(func: Callable[..., Any], path: str, _exc: Any) -> None:
            try:
                os.chmod(os.path.dirname(path), 0o777)
                os.chmod(path, 0o777)
                func(path)
            except OSError:
                pass

        shutil.rmtree(work, onerror=fix)

    def close(self) -> None:
        """Remove the root (and anything a killed run left)."""
        if self.root.exists():
            for child in self.root.iterdir():
                self.remove(child)
            shutil.rmtree(self.root, ignore_errors=True)
