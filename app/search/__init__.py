"""Full-text search of posts, and of people by name (``/search``,
``/api/search``, ``flask search``)."""
