"""What every list page shares (feeds, profiles, the inbox): pagination
without a COUNT, and rows computed in one pass for the list template."""
from app.lists.pagination import Page, page_number, paginate
from app.lists.rows import POST_LIST, PostRow, Row, message_rows, post_list, post_rows

__all__ = ["POST_LIST", "Page", "PostRow", "Row", "message_rows", "page_number", "paginate", "post_list",
           "post_rows"]
