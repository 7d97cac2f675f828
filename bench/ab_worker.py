"""One side of bench/ab_inprocess.py: the app of the current directory's
tree, logged in as user1, serving "PATH COUNT LANG" lines from stdin and
answering with the CPU ns the COUNT requests took and the last status."""
from __future__ import annotations

import os
import re
import sys
import time

sys.path.insert(0, os.getcwd())

from app import create_app  # noqa: E402  (the tree's own app, from its directory)


def main() -> None:
    app = create_app()
    app.config["RATELIMIT_ENABLED"] = False
    user, anonymous = app.test_client(), app.test_client()
    page = user.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    answer = user.post("/auth/login", data={"username": "user1", "password": "microblog", "csrf_token": token[1]})
    assert answer.status_code == 302, answer.status_code
    print("ready", flush=True)
    for line in sys.stdin:
        path, count, language = line.split()
        client = anonymous if path == "/auth/login" else user
        headers = {"Accept-Language": language} if language != "-" else {}
        started = time.process_time_ns()
        for _ in range(int(count)):
            status = client.get(path, headers=headers).status_code
        print(time.process_time_ns() - started, status, flush=True)


if __name__ == "__main__":
    main()
