"""Rotation with several processes writing one log, as gunicorn workers do."""
from __future__ import annotations

import re
import subprocess
import sys

from config import BASE_DIR

WRITER = """
import logging, os, sys
from app.observability.failsafe import FailSafeRotatingFileHandler
handler = FailSafeRotatingFileHandler(sys.argv[1], maxBytes=60_000, backupCount=50, encoding="utf-8")
handler.setFormatter(logging.Formatter("%(message)s"))
log = logging.getLogger("writer")
log.addHandler(handler)
log.setLevel(logging.INFO)
sys.stdin.readline()  # start together
for i in range(int(sys.argv[2])):
    log.info("proc=%s line=%05d payload=%s end", os.getpid(), i, "x" * 40)
"""


def test_two_processes_lose_no_lines_across_rotations(tmp_path):
    lines_each = 5000
    target = tmp_path / "microblog.log"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(lines_each)], cwd=BASE_DIR,
                              stdin=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        proc.stdin.close()
        assert proc.wait(timeout=120) == 0

    files = [p for p in tmp_path.iterdir() if p.name.startswith("microblog.log") and not p.name.endswith(".lock")]
    assert len(files) >= 4, "expected several rotations"
    pattern = re.compile(r"proc=(\d+) line=(\d{5}) payload=x{40} end")
    seen: dict[str, set[int]] = {}
    for path in files:
        for line in path.read_text().splitlines():
            match = pattern.fullmatch(line)
            assert match, f"mangled line in {path.name}: {line!r}"
            seen.setdefault(match.group(1), set()).add(int(match.group(2)))
    assert len(seen) == 2
    for numbers in seen.values():
        assert numbers == set(range(lines_each))
    print(f"\n2 processes x {lines_each} lines over {len(files)} files: none lost or mangled")
