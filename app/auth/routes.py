"""Views for registration, login and password reset."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from app.accounts import DuplicateAccount, commit_account, spend_a_password_check
from app.auth.email import send_password_reset_email
from app.auth.forms import LoginForm, LogoutForm, RegistrationForm, ResetPasswordForm, ResetPasswordRequestForm
from app.auth.limits import login_per_account, login_per_address
from app.auth.redirects import safe_next
from app.extensions import db
from app.models import User
from app.observability.metrics import LOGINS, REGISTRATIONS

bp = Blueprint("auth", __name__)

BAD_LOGIN = "Invalid username or password."


@bp.route("/login", methods=["GET", "POST"])
@login_per_address
@login_per_account
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(User.by_username(form.username.data))
        # One message, and the same work, for an unknown user and a wrong
        # password: neither the page nor its timing tells which accounts exist.
        if user is None:
            spend_a_password_check(form.password.data)
        if user is None or not user.check_password(form.password.data):
            LOGINS.labels("failure").inc()
            flash(BAD_LOGIN, "danger")
            return render_template("auth/login.html", title="Sign In", form=form), 200
        LOGINS.labels("success").inc()
        session.clear()  # nothing from before the login survives it (session fixation)
        login_user(user, remember=form.remember_me.data)
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", title="Sign In", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> str | Response:
    """POST logs out (a CSRF-checked form, so another site cannot log users
    out); GET, from an old link, asks first."""
    if request.method == "GET":
        return render_template("auth/logout.html", title="Log out", form=LogoutForm())
    if LogoutForm().validate_on_submit():
        logout_user()
        flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        user = User(username=form.username.data, email=form.email.data)
        user.set_password(form.password.data)
        db.session.add(user)
        try:
            commit_account()
        except DuplicateAccount as dup:
            getattr(form, dup.field).errors.append(dup.message)
        else:
            REGISTRATIONS.inc()
            flash("Congratulations, you are now a registered user!", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", title="Register", form=form)


@bp.route("/reset_password_request", methods=["GET", "POST"])
def reset_password_request() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = ResetPasswordRequestForm()
    if form.validate_on_submit():
        user = db.session.scalar(User.by_email(form.email.data))
        if user is not None:
            send_password_reset_email(user)
        # The same answer whether or not the address is registered.
        flash("Check your email for the instructions to reset your password.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password_request.html", title="Reset Password", form=form)


@bp.route("/reset_password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    user = User.verify_reset_password_token(token)
    if user is None:
        flash("That password reset link is invalid or has expired. Please request a new one.", "warning")
        return redirect(url_for("auth.reset_password_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        flash("Your password has been reset.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)
