"""Interface languages (issue 16, first part): which language a page is
served in, the chooser, and the catalogues that ``flask translate``
maintains, checked against the code."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from app import create_app
from app.extensions import babel, db
from app.i18n import COOKIE, catalogs, dates
from app.models import Post, User
from tests.conftest import config, make_user

THREE = {"LANGUAGES": ["en", "es", "de"]}


def html_lang(client, path: str = "/auth/login", **headers: str) -> str:
    page = client.get(path, headers=headers).get_data(as_text=True)
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("app_config", [{"LANGUAGES": ["en"]}])
def test_english_alone_has_no_chooser(client):
    page = client.get("/auth/login", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="en">' in page and 'id="nav-language"' not in page


@pytest.mark.parametrize("app_config", [THREE])
class TestChoosingALanguage:
    def test_the_browser_s_languages_pick_the_best_offered(self, client):
        assert html_lang(client, **{"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}) == "es"
        assert html_lang(client, **{"Accept-Language": "fr, de;q=0.8"}) == "de"
        assert html_lang(client, **{"Accept-Language": "ja"}) == "en"  # nothing offered: the first
        assert html_lang(client) == "en"
        assert html_lang(client, **{"Accept-Language": ";;;q=x,,"}) == "en"  # garbage is no choice

    def test_the_cookie_beats_the_browser_and_a_bad_one_is_ignored(self, client):
        client.set_cookie(COOKIE, "de")
        assert html_lang(client, **{"Accept-Language": "es"}) == "de"
        client.set_cookie(COOKIE, "xx<script>")
        assert html_lang(client, **{"Accept-Language": "es"}) == "es"

    def test_the_chooser_sets_the_cookie_and_goes_back(self, client):
        page = client.get("/auth/login").get_data(as_text=True)
        assert '<option value="es" lang="es">Español</option>' in page
        response = client.post("/language", data={"language": "es", "next": "/auth/register?x=1"})
        assert response.status_code == 302 and response.headers["Location"] == "/auth/register?x=1"
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith(f"{COOKIE}=es;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert html_lang(client) == "es"
        assert 'value="es" lang="es" selected' in client.get("/auth/login").get_data(as_text=True)

    @pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", None])
    def test_it_only_goes_back_to_this_site(self, client, target):
        data = {"language": "de"} | ({"next": target} if target else {})
        assert client.post("/language", data=data).headers["Location"] == "/index"

    @pytest.mark.parametrize("code", ["", "fr", "es-ES", "x" * 500])
    def test_an_unknown_language_is_a_400_that_says_which_exist(self, client, code):
        response = client.post("/language", data={"language": code})
        assert response.status_code == 400
        assert "choose one of en (English), es (Español), de (Deutsch)" in response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers or COOKIE not in response.headers["Set-Cookie"]


def test_languages_must_be_known_codes(tmp_path: Path):
    with pytest.raises(ValueError, match="LANGUAGES must list codes"):
        create_app(config(f"sqlite:///{tmp_path / 'x.db'}", LANGUAGES=["en", "klingon"]))


def test_the_committed_template_has_exactly_the_strings_in_the_code():
    """`make test` fails when a string was wrapped, changed or removed without
    `flask translate update`."""
    def ids(catalog: Catalog) -> set[object]:
        return {message.id for message in catalog if message.id}

    committed = catalogs.read(catalogs.TEMPLATE)
    extracted = catalogs.extract()
    assert ids(extracted) == ids(committed), "run `flask translate update` and translate what it reports"
    assert "Profile (%(username)s)" in ids(extracted)


def test_every_shipped_catalogue_is_complete():
    for language in catalogs.languages():
        left = list(catalogs.missing(catalogs.read(catalogs.catalog_path(language), language)))
        assert left == [], f"{language}: untranslated or fuzzy: {left}"


def test_missing_finds_empty_fuzzy_and_half_done_plurals():
    catalog = Catalog(locale="es")
    catalog.add("Home", "Inicio")
    catalog.add("Explore", "")
    catalog.add("Logout", "Salir", flags=["fuzzy"])
    catalog.add(("%(num)d follower", "%(num)d followers"), ("%(num)d seguidor", ""))
    catalog.add(("%(num)d post", "%(num)d posts"), ("%(num)d publicación", "%(num)d publicaciones"))
    assert list(catalogs.missing(catalog)) == ["Explore", "Logout", "%(num)d follower"]


@pytest.fixture
def fresh_translations() -> Iterator[None]:
    """Flask-Babel keeps loaded catalogues per language for the process, not
    per app: a test app with catalogues of its own must not see, or leave
    behind, another's."""
    domain = babel.domain_instance
    domain.cache.clear()
    yield
    domain.cache.clear()


def test_init_update_compile_then_a_page_in_spanish(tmp_path: Path, monkeypatch, fresh_translations):
    """The commands on a copy of the catalogues, and the app reading the
    compiled result."""
    translations = tmp_path / "translations"
    monkeypatch.setattr(catalogs, "TRANSLATIONS", translations)
    monkeypatch.setattr(catalogs, "TEMPLATE", translations / "messages.pot")
    app = create_app(config(f"sqlite:///{tmp_path / 'x.db'}", BABEL_TRANSLATION_DIRECTORIES=str(translations),
                            **THREE))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["translate", "init", "es"])
    assert result.exit_code == 0, result.output
    assert "Started app/translations/es/LC_MESSAGES/messages.po" not in result.output  # the copy, not the real one
    assert "messages to translate" in result.output
    assert runner.invoke(args=["translate", "init", "es"]).exit_code != 0  # never overwrites a translator's work
    assert "not one of" in runner.invoke(args=["translate", "init", "tlh"]).output

    path = translations / "es" / "LC_MESSAGES" / "messages.po"
    catalog = catalogs.read(path, "es")
    catalog["Home"].string = "Inicio"
    catalog["Profile (%(username)s)"].string = "Perfil (%(username)s)"
    with path.open("wb") as out:
        from babel.messages.pofile import write_po
        write_po(out, catalog)
    result = runner.invoke(args=["translate", "update"])
    assert result.exit_code == 0 and "es: " in result.output and "to translate or check" in result.output
    assert catalogs.read(path, "es")["Home"].string == "Inicio"  # an update keeps what is translated

    result = runner.invoke(args=["translate", "compile"])
    assert result.exit_code == 0 and "Compiled es:" in result.output
    client = app.test_client()
    page = client.get("/auth/login", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es">' in page and ">Inicio</a>" in page and ">Home</a>" not in page
    assert ">Home</a>" in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize("app_config", [THREE])
def test_a_user_s_saved_choice_comes_first_and_follows_them(app, client, auth, susan):
    auth.login()
    client.set_cookie(COOKIE, "es")
    assert html_lang(client, "/explore", **{"Accept-Language": "de"}) == "es"  # the cookie, while nothing is saved
    assert client.post("/language", data={"language": "de", "next": "/explore"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, susan.id).language == "de"
    client.set_cookie(COOKIE, "es")  # another device's cookie: the account's choice wins
    assert html_lang(client, "/explore", **{"Accept-Language": "es"}) == "de"
    app.config["LANGUAGES"] = ["en", "es"]  # a language no longer offered is no choice
    assert html_lang(client, "/explore", **{"Accept-Language": "en"}) == "es"


@pytest.mark.parametrize("app_config", [THREE])
@pytest.mark.parametrize(("accept", "shown"), [("en", "May 3, 2026, 2:07\u202fPM UTC"),
                                               ("es", "3 may 2026, 14:07 UTC"), ("de", "03.05.2026, 14:07 UTC")])
def test_times_are_written_in_the_page_s_language_inside_time_elements(client, logged_in, accept, shown):
    """(English puts CLDR's narrow no-break space before PM.)"""
    moment = datetime(2026, 5, 3, 14, 7, 30, tzinfo=UTC)
    john = make_user("john")
    db.session.add(Post(body="dated", author=john, timestamp=moment))
    john.last_seen = moment
    db.session.commit()
    for path in ("/explore", "/user/john", "/user/john/popup"):
        page = client.get(path, headers={"Accept-Language": accept}).get_data(as_text=True)
        assert f'<time datetime="2026-05-03T14:07:30+00:00">{shown}</time>' in page, path
    page = client.get("/explore", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert '<script src="/static/js/dates.js"></script>' in page


def test_when_outside_a_request_is_english():
    assert dates.when(datetime(2026, 1, 2, 3, 4, tzinfo=UTC)) == "Jan 2, 2026, 3:04\u202fAM UTC"
