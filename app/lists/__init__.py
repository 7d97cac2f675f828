"""What every list page shares (feeds, profiles, threads, the inbox):
pagination without a COUNT, posts loaded with what lists show of them, and
rows computed in one pass for the list template."""
from app.lists.pagination import Page, page_number, paginate
from app.lists.posts import LIMIT, NEWEST, OFFSET, OLDEST, ByDialect, PostList, fetch, listing, load_page
from app.lists.rows import PostRow, message_rows, post_rows

__all__ = ["LIMIT", "NEWEST", "OFFSET", "OLDEST", "ByDialect", "Page", "PostList", "PostRow", "fetch", "listing",
           "load_page", "message_rows", "page_number", "paginate", "post_rows"]
