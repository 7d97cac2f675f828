"""What the app writes into the project folder stays out of git."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from config import BASE_DIR


def ignored(path: str) -> bool:
    done = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=BASE_DIR)
    assert done.returncode in (0, 1), f"git check-ignore failed for {path}"
    return done.returncode == 0


@pytest.mark.skipif(shutil.which("git") is None or not (BASE_DIR / ".git").exists(), reason="not a git checkout")
def test_profiles_are_ignored_and_the_icon_is_not():
    assert ignored("profiles/GET.index.12ms.1700000000.prof")  # PROFILING_ENABLED's default PROFILE_DIR
    assert not ignored("app/static/favicon.ico")
