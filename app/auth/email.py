from __future__ import annotations

from concurrent.futures import Future

from flask import render_template

from app.email import send_email
from app.models import User


def send_password_reset_email(user: User) -> Future[None]:
    token = user.get_reset_password_token()
    return send_email(
        "[Microblog] Reset Your Password",
        recipients=[user.email],
        text_body=render_template("email/reset_password.txt", user=user, token=token),
        html_body=render_template("email/reset_password.html", user=user, token=token),
    )
