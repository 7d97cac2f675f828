"""The database models, one module per domain; import them from here."""
from app.models.base import UTCDateTime, utcnow
from app.models.messages import Message
from app.models.notifications import Notification
from app.models.posts import Post
from app.models.sessions import LoginSession
from app.models.tasks import ExportChunk, Task
from app.models.users import ProfileStats, User, followers, load_user

__all__ = ["ExportChunk", "LoginSession", "Message", "Notification", "Post", "ProfileStats", "Task", "UTCDateTime",
           "User", "followers", "load_user", "utcnow"]
