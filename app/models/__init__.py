"""The database models, one module per domain; import them from here."""
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.messages import Message
from app.models.notifications import Notification
from app.models.posts import Post, PostLike, PostTranslation
from app.models.sessions import LoginSession
from app.models.tags import PostMention, PostTag, Tag
from app.models.tasks import ExportChunk, Task
from app.models.users import ProfileStats, User, followers
from app.models.viewer import Viewer, load_user
from app.search import schema as search_schema

# The full-text indexes of posts and usernames live outside the models
# (app/search/schema.py): create_all() and drop_all() build and remove them.
search_schema.attach(db.metadata)

__all__ = ["ExportChunk", "LoginSession", "Message", "Notification", "Post", "PostLike", "PostMention", "PostTag",
           "PostTranslation", "ProfileStats", "Tag", "Task", "UTCDateTime", "User", "Viewer", "followers", "load_user",
           "utcnow"]
