"""/favicon.ico: a real icon, cached for long, that costs no SQL statement."""
from __future__ import annotations

import re
import struct

from app import db
from tests.support.sql import count_statements

ICO_TYPES = {"image/x-icon", "image/vnd.microsoft.icon"}


def icon_sizes(data: bytes) -> list[int]:
    """The square sizes an ICO file holds, from its directory."""
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1), "not an ICO file"
    sizes = []
    for i in range(count):
        width, height, _, _, _, _, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        assert width == height and offset + length <= len(data)
        assert data[offset:offset + 8] == b"\x89PNG\r\n\x1a\n"  # each image a PNG
        sizes.append(width)
    return sizes


def test_favicon_is_served_with_a_long_cache(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in ICO_TYPES
    assert icon_sizes(response.data) == [16, 32]
    max_age = int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1))
    assert max_age >= 24 * 3600


def test_favicon_loads_no_user(client, logged_in):
    # A logged-in visitor's session would make most pages load the user.
    with count_statements(db.engine) as statements:
        assert client.get("/favicon.ico").status_code == 200
    assert statements == []


def test_pages_link_to_it(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in html
