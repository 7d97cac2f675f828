"""Avatars are served by the app: pages load nothing from another host."""
from __future__ import annotations

import re

from app.avatars import avatar_digest, identicon_svg


def test_pages_use_local_avatars(client, logged_in):
    client.post("/index", data={"post": "hello"})
    for path in ("/index", "/explore", "/user/susan"):
        page = client.get(path).get_data(as_text=True)
        assert "gravatar.com" not in page
        assert re.search(r'src="/avatar/[0-9a-f]{32}\.svg"', page)


def test_identicon_is_svg_and_cacheable(client, app):
    digest = avatar_digest("susan@example.com")
    response = client.get(f"/avatar/{digest}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "immutable" in response.headers["Cache-Control"]
    assert response.get_data(as_text=True) == identicon_svg(digest)


def test_digest_hides_the_email_and_is_stable(app):
    assert avatar_digest("Susan@Example.com") == avatar_digest("susan@example.com")
    assert avatar_digest("a@example.com") != avatar_digest("b@example.com")
    import hashlib
    assert avatar_digest("susan@example.com") != hashlib.md5(b"susan@example.com").hexdigest()


def test_bad_digest_is_404(client):
    assert client.get("/avatar/../../etc.svg").status_code == 404
    assert client.get("/avatar/xyz.svg").status_code == 404
