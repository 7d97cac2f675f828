"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector): what a query
finds, in what order, how it is shown, and that the index follows writes."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User, utcnow
from app.posts import publish
from tests.conftest import make_user
from tests.support.sql import count_statements


def write(author: User, *bodies: str, start_minutes_ago: int = 0) -> list[Post]:
    """Posts, the later ones newer, committed."""
    now = utcnow()
    posts = [Post(body=body, author=author, timestamp=now - timedelta(minutes=start_minutes_ago + len(bodies) - i))
             for i, body in enumerate(bodies)]
    db.session.add_all(posts)
    db.session.commit()
    return posts


def found(client, q: str, **args: object) -> list[str]:
    """The bodies of the results, as text (marks removed)."""
    response = client.get("/search", query_string={"q": q, **args})
    assert response.status_code == 200
    bodies = re.findall(r'<div class="post-body">(.*?)</div>', response.get_data(as_text=True), re.S)
    return [re.sub(r"</?mark>", "", b).replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'")
            .replace("&#34;", '"').replace("&amp;", "&") for b in bodies]


def marks(client, q: str) -> list[str]:
    page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    return re.findall(r"<mark>(.*?)</mark>", page)


class TestWhatAQueryFinds:
    def test_case_and_accents_do_not_matter(self, client, logged_in):
        write(logged_in, "Café au lait", "cafe society", "CAFÉ CRÈME", "tea only")
        for q in ("cafe", "CAFÉ", "Café", "cAfE"):
            assert sorted(found(client, q)) == sorted(["Café au lait", "cafe society", "CAFÉ CRÈME"]), q
        assert found(client, "creme") == ["CAFÉ CRÈME"]

    def test_english_stems_match(self, client, logged_in):
        write(logged_in, "I run every day", "she runs fast", "running late again", "a runner's high", "walk")
        assert sorted(found(client, "running")) == sorted(["I run every day", "she runs fast", "running late again"])
        assert sorted(found(client, "run")) == sorted(["I run every day", "she runs fast", "running late again"])

    def test_every_word_must_match(self, client, logged_in):
        write(logged_in, "red apple", "green apple", "red car")
        assert found(client, "red apple") == ["red apple"]

    def test_a_phrase_matches_the_words_in_order(self, client, logged_in):
        write(logged_in, "the quick brown fox", "brown and quick", "quick, brown!")
        assert sorted(found(client, '"quick brown"')) == sorted(["the quick brown fox", "quick, brown!"])
        assert sorted(found(client, "quick brown")) == sorted(["the quick brown fox", "brown and quick",
                                                               "quick, brown!"])

    def test_a_star_makes_a_prefix(self, client, logged_in):
        write(logged_in, "microblog rocks", "microscope", "a micro thing", "macro")
        assert sorted(found(client, "micro*")) == sorted(["microblog rocks", "microscope", "a micro thing"])
        assert found(client, "micro") == ["a micro thing"]

    def test_a_one_letter_prefix_is_the_word_itself(self, client, logged_in):
        write(logged_in, "a b c", "apple")
        assert found(client, "a*") == ["a b c"]
        assert found(client, "ap*") == ["apple"]

    def test_operators_typed_by_a_user_are_just_words(self, client, logged_in):
        write(logged_in, "cats and dogs", "cats or dogs", "cats not dogs")
        assert found(client, "cats AND dogs") == ["cats and dogs"]
        assert found(client, "cats OR dogs") == ["cats or dogs"]
        assert found(client, "NOT dogs") == ["cats not dogs"]
        assert sorted(found(client, "cats -dogs")) == sorted(["cats and dogs", "cats or dogs", "cats not dogs"])

    def test_words_are_also_found_in_posts_that_were_already_there(self, client, logged_in, app):
        # Written before the search existed for this request: the same index.
        write(logged_in, "an old post about gardening")
        assert found(client, "gardening") == ["an old post about gardening"]


class TestRanking:
    def test_more_occurrences_in_a_shorter_post_rank_first(self, client, logged_in):
        write(logged_in,
              "jazz",
              "jazz and some other words about music and the evening and the city at night",
              "jazz jazz jazz all night",
              start_minutes_ago=0)
        results = found(client, "jazz")
        assert results[-1].startswith("jazz and some other words")
        assert set(results[:2]) == {"jazz", "jazz jazz jazz all night"}

    def test_newest_first_among_equals(self, client, logged_in):
        posts = write(logged_in, "same words here", "same words here", "same words here")
        # The timestamps decide, not the ids: make the first-written the newest.
        posts[0].timestamp = utcnow()
        db.session.commit()
        response = client.get("/search?q=same+words")
        times = re.findall(r'<time datetime="([^"]+)"', response.get_data(as_text=True))
        assert times == sorted(times, reverse=True) and len(times) == 3

    def test_past_the_window_older_matches_follow_newest_first(self, client, logged_in, app):
        app.config.update(SEARCH_RANK_WINDOW=3, POSTS_PER_PAGE=2)
        # Ten matches, written oldest first: ids 1..10 (id order is the
        # window's "newest"). The newest three are ranked; the rest follow.
        # The same length each, so only how often "tulip" occurs sets the rank.
        bodies = [" ".join(["tulip"] * (1 + i % 3) + ["leaf"] * (2 - i % 3) + [f"number{i}"]) for i in range(10)]
        write(logged_in, *bodies)
        pages = [found(client, "tulip", page=n) for n in range(1, 7)]
        flat = [b for page in pages for b in page]
        assert len(flat) == 10 and len(set(flat)) == 10  # every match once, none twice
        window, rest = flat[:3], flat[3:]
        assert set(window) == set(bodies[7:])
        counts = [b.count("tulip") for b in window]
        assert counts == sorted(counts, reverse=True)  # by relevance within the window
        assert rest == list(reversed(bodies[:7]))  # then newest first
        assert pages[5] == []

    def test_a_window_of_zero_lists_newest_first(self, client, logged_in, app):
        app.config["SEARCH_RANK_WINDOW"] = 0
        write(logged_in, "plum plum plum", "plum")
        assert found(client, "plum") == ["plum", "plum plum plum"]


class TestHighlighting:
    def test_matched_words_are_marked(self, client, logged_in):
        write(logged_in, "Running through the Café")
        assert marks(client, "run cafe") == ["Running", "Café"]

    def test_markup_in_a_post_stays_text(self, client, logged_in):
        write(logged_in, "<script>alert('pwned')</script> <b>bold</b> &amp; alert")
        page = client.get("/search?q=alert").get_data(as_text=True)
        assert "<script>alert" not in page and "<b>bold" not in page
        assert "&lt;b&gt;bold&lt;/b&gt; &amp;amp;" in page
        assert "<mark>alert</mark>" in page

    def test_a_rendered_post_keeps_its_links_and_marks_only_its_text(self, app, client, logged_in):
        make_user("coffee")
        with app.test_request_context():
            publish(logged_in, "@coffee likes #coffee: https://coffee.example/coffee & coffee, not coffees")
        page = client.get("/search?q=coffee").get_data(as_text=True)
        body = re.search(r'<div class="post-body">(.*?)</div>', page, re.S).group(1)
        assert body == (
            '<a class="mention user-popup" href="/user/coffee">@<mark>coffee</mark></a> likes '
            '<a class="hashtag" href="/tag/coffee">#<mark>coffee</mark></a>: '
            '<a href="https://coffee.example/coffee" rel="nofollow ugc noopener">'
            'https://<mark>coffee</mark>.example/<mark>coffee</mark></a> &amp; <mark>coffee</mark>, not '
            + ("<mark>coffees</mark>" if "<mark>coffees</mark>" in body else "coffees"))  # stemmed on PostgreSQL

    def test_a_result_is_its_list_article_with_marks(self, client, logged_in):
        """A result is the post's kept list article with the highlighted body
        put in (app/lists/rows.py); the marks never reach the kept article
        that the feed and the profile show afterwards."""
        post, = write(logged_in, "espresso before noon, espresso after")
        article = re.compile(rf'<article[^>]*id="post-{post.id}".*?</article>', re.S)
        listed = article.search(client.get("/explore").get_data(as_text=True)).group(0)
        result = article.search(client.get("/search?q=espresso").get_data(as_text=True)).group(0)
        assert result.count("<mark>espresso</mark>") == 2
        # Apart from where its forms come back to (this page) and the session's
        # token (signed again when a second has passed), the same article.
        def unplaced(html: str) -> str:
            return re.sub(r'(name="next" value="|\?next=|name="csrf_token" value=")[^"]*', r"\1", html)
        assert unplaced(result.replace("<mark>", "").replace("</mark>", "")) == unplaced(listed)
        for path in ("/explore", f"/user/{logged_in.username}", "/index"):
            assert "<mark>" not in client.get(path).get_data(as_text=True), path

    def test_a_post_quoting_the_marks_cannot_forge_them(self, client, logged_in):
        write(logged_in, "<mark>fake</mark> apple", "\x02apple\x03 inside markers", "x\x02 pear \x03y")
        page = client.get("/search?q=apple").get_data(as_text=True)
        assert "&lt;mark&gt;fake&lt;/mark&gt; <mark>apple</mark>" in page
        # A body holding the marker characters is shown as it is, unmarked.
        assert "<mark>apple</mark> inside" not in page and "\x02apple\x03 inside markers" in page
        assert page.count("<mark>") == page.count("</mark>")

    def test_the_query_is_echoed_escaped(self, client, logged_in):
        page = client.get("/search", query_string={"q": '"><img src=x onerror=alert(1)>'}).get_data(as_text=True)
        assert "<img src=x" not in page
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


class TestPeople:
    def test_names_starting_with_it_come_first_by_name_then_containing_it(self, client, logged_in):
        for name in ("annabel", "joanna", "ann", "hannah", "anne", "zed"):
            make_user(name)
        page = client.get("/search?q=ann").get_data(as_text=True)
        people = re.findall(r'id="search-people">(.*?)</ul>', page, re.S)[0]
        names = re.findall(r'class="user-popup" href="[^"]+">([^<]+)</a>', people)
        assert names == ["ann", "annabel", "anne", "joanna", "hannah"]  # then oldest account first

    def test_two_letters_only_match_the_start_of_names(self, client, logged_in):
        make_user("bob")
        make_user("mobo")
        page = client.get("/search?q=bo").get_data(as_text=True)
        assert 'href="/user/bob"' in page and 'href="/user/mobo"' not in page

    def test_at_most_five_and_case_does_not_matter(self, client, logged_in):
        for i in range(8):
            make_user(f"Robin{i}")
        page = client.get("/search?q=ROBIN").get_data(as_text=True)
        assert len(re.findall(r'href="/user/Robin\d"', page)) == 5

    def test_like_wildcards_are_plain_characters(self, client, logged_in):
        make_user("a_b")
        make_user("axb")
        page = client.get("/search?q=a_b").get_data(as_text=True)
        assert 'href="/user/a_b"' in page and 'href="/user/axb"' not in page
        assert 'id="search-people"' not in client.get("/search?q=%25").get_data(as_text=True)

    def test_a_renamed_user_is_found_by_the_new_name_only(self, client, logged_in, john):
        john.username = "zebedee"
        db.session.commit()
        assert 'href="/user/zebedee"' in client.get("/search?q=bede").get_data(as_text=True)
        assert 'id="search-people"' not in client.get("/search?q=ohn").get_data(as_text=True)
        db.session.delete(john)
        db.session.commit()
        assert 'id="search-people"' not in client.get("/search?q=bede").get_data(as_text=True)

    def test_people_are_listed_on_the_first_page_only(self, client, logged_in, app):
        app.config["POSTS_PER_PAGE"] = 1
        write(logged_in, "susan's first", "susan's second")
        assert 'id="search-people"' in client.get("/search?q=susan").get_data(as_text=True)
        assert 'id="search-people"' not in client.get("/search?q=susan&page=2").get_data(as_text=True)


class TestThePage:
    def test_search_needs_a_login(self, client, susan):
        response = client.get("/search?q=x")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]

    def test_the_navbar_box_is_there_when_logged_in(self, client, logged_in):
        page = client.get("/index").get_data(as_text=True)
        assert 'id="nav-search"' in page and 'action="/search"' in page
        client.post("/auth/logout")
        assert 'id="nav-search"' not in client.get("/auth/login").get_data(as_text=True)

    @pytest.mark.parametrize("q", ["", "   ", "\t\n", None])
    def test_an_empty_query_shows_a_hint(self, client, logged_in, q):
        response = client.get("/search", query_string={} if q is None else {"q": q})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert 'id="search-hint"' in page and "No posts match" not in page

    def test_a_query_without_words_says_so(self, client, logged_in):
        page = client.get("/search", query_string={"q": "&& || !"}).get_data(as_text=True)
        assert "There are no words to search for" in page

    def test_no_match_says_so(self, client, logged_in):
        write(logged_in, "hello")
        assert "No posts match." in client.get("/search?q=zebra").get_data(as_text=True)

    def test_pages_link_with_the_query(self, client, logged_in, app):
        app.config["POSTS_PER_PAGE"] = 2
        write(logged_in, "kiwi one", "kiwi two", "kiwi six")  # equally relevant: newest first
        page = client.get("/search?q=kiwi").get_data(as_text=True)
        assert 'href="/search?page=2&amp;q=kiwi"' in page
        assert found(client, "kiwi", page=2) == ["kiwi one"]
        assert found(client, "kiwi", page=3) == []

    @pytest.mark.parametrize("page", ["0", "-1", "x", str(10**10), "1.5"])
    def test_bad_page_numbers_are_404_as_on_the_other_lists(self, client, logged_in, page):
        assert client.get(f"/search?q=a&page={page}").status_code == 404
        assert client.get(f"/explore?page={page}").status_code == 404

    def test_a_huge_page_is_empty(self, client, logged_in):
        write(logged_in, "fig")
        assert found(client, "fig", page=10**9) == []

    def test_a_page_costs_at_most_five_statements(self, client, logged_in, app):
        app.config.update(SEARCH_RANK_WINDOW=2, POSTS_PER_PAGE=2)
        write(logged_in, *[f"susan grape {i}" for i in range(7)])
        make_user("susanna")
        client.get("/index")  # last_seen written
        for number in (1, 2, 3, 4):
            with count_statements(db.engine) as statements:
                assert client.get(f"/search?q=grape&page={number}").status_code == 200
            assert len(statements) <= 5, (number, statements)

    def test_page_one_is_four_statements(self, client, logged_in):
        write(logged_in, *[f"susan grape {i}" for i in range(30)])
        make_user("susanna")
        client.get("/index")
        with count_statements(db.engine) as statements:
            client.get("/search?q=susan")
        # user, matches, people, and the page's posts as lists show them (likes, replies)
        assert len(statements) == 4, "\n".join(s[:70] for s in statements)


class TestTheIndexFollowsWrites:
    def test_a_post_from_the_form_is_found_at_once(self, client, logged_in):
        assert client.post("/index", data={"post": "fresh kumquat news"}).status_code == 302
        assert found(client, "kumquat") == ["fresh kumquat news"]

    def test_an_edited_post_is_found_by_its_new_words_only(self, client, logged_in):
        post, = write(logged_in, "about lemons")
        post.body = "about limes"
        db.session.commit()
        assert found(client, "lemons") == []
        assert found(client, "limes") == ["about limes"]

    def test_a_deleted_post_is_gone(self, client, logged_in):
        post, = write(logged_in, "temporary mango")
        db.session.delete(post)
        db.session.commit()
        assert found(client, "mango") == []

    def test_a_rolled_back_post_is_not_found(self, client, logged_in):
        db.session.add(Post(body="never papaya", author=logged_in))
        db.session.flush()
        db.session.rollback()
        assert found(client, "papaya") == []

    def test_a_deleted_author_takes_their_posts_out(self, client, logged_in, john):
        write(john, "john's melon")
        db.session.execute(sa.delete(User).where(User.id == john.id))
        db.session.commit()
        assert found(client, "melon") == []
