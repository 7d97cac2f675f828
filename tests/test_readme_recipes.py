"""The README's local recipes, run as written."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

from config import BASE_DIR
from tests.support.http import Session
from tests.support.ports import free_port
from tests.support.waiting import wait_for

README = (BASE_DIR / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"### {title}\n")
    end = README.find("\n#", start + 1)
    return README[start:end if end != -1 else None]


def commands(text: str) -> list[list[str]]:
    """Every command of the section's ``sh`` blocks, continuation lines joined, comments dropped."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                found.append(words)
    return found


def test_the_error_recipe_serves_forms_a_script_can_post(tmp_path: Path):
    """Plain http: Secure cookies would never come back, so every form post
    from a script (python-requests, urllib) would be a 400."""
    [served] = [c for c in commands(section("Watching an error arrive locally"))
                if c[-1] == "run" and c[-2].endswith("flask")]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "INSTANCE_PATH": str(tmp_path / "instance"),
           "LOG_DIR": str(tmp_path / "logs")}
    while "=" in served[0]:
        name, _, value = served.pop(0).partition("=")
        env[name] = value
    port = free_port()
    subprocess.run([str(BASE_DIR / ".venv/bin/flask"), "db", "upgrade"], cwd=BASE_DIR, env=env, check=True,
                   capture_output=True, timeout=60)
    server = subprocess.Popen([*served, "--port", str(port)], cwd=BASE_DIR, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        web = Session(f"http://127.0.0.1:{port}")
        wait_for(lambda: _answers(web), timeout=30, proc=server)
        answer = web.submit("/auth/register", {"username": "newcomer", "email": "newcomer@example.com",
                                               "password": "correct horse", "password2": "correct horse"})
        assert (answer.status, answer.headers.get("Location")) == (302, "/auth/login")
    finally:
        server.terminate()
        server.wait(10)


def _answers(web: Session) -> bool:
    try:
        return web.get("/health/live").status == 200
    except OSError:
        return False
