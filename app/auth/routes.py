"""Views for registration, login and password reset."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from app.accounts import DuplicateAccount, spend_a_password_check
from app.accounts import register as register_account
from app.anonymous_page import anonymous_page
from app.auth.email import request_password_reset
from app.auth.forms import (
    ChangePasswordForm,
    LoginForm,
    LogoutForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetPasswordRequestForm,
)
from app.auth.limits import login_per_account, login_per_address
from app.auth.redirects import safe_next
from app.auth.sessions import begin_session, end_all_sessions, end_session, lock_out_old_credentials
from app.extensions import db
from app.form_html import form_html
from app.i18n.gettext import gettext as _
from app.i18n.gettext import lazy_gettext as _l
from app.limits import note_wrong_password, password_checks
from app.models import User
from app.observability.metrics import LOGINS

bp = Blueprint("auth", __name__)

BAD_LOGIN = _l("Invalid username or password.")
LOGIN_FIELDS = ("username", "password", "remember_me")


@bp.route("/login", methods=["GET", "POST"])
@login_per_address
@login_per_account
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form: LoginForm | None = None  # a GET's is the kept blank one (see form_html)
    if request.method == "POST":
        form = LoginForm()
        if form.validate_on_submit():
            user = User.named(form.username.data)
            # One message, and the same work, for an unknown user and a wrong
            # password: neither the page nor its timing tells which accounts exist.
            if user is None:
                spend_a_password_check(form.password.data)
            if user is None or not user.check_password(form.password.data):
                LOGINS.labels("failure").inc()
                flash(str(BAD_LOGIN), "danger")
                return _login_page(form), 200
            LOGINS.labels("success").inc()
            session.clear()  # nothing from before the login survives it (session fixation)
            begin_session(user, remember=form.remember_me.data)
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return _login_page(form)


def _login_page(form: LoginForm | None) -> str:
    # The blank form is written once per language (app/form_html.py), and a
    # GET's whole page once per address (app/anonymous_page.py): the login
    # page is every visitor's first.
    def render() -> str:
        return render_template("auth/login.html", title=_("Sign In"),
                               login_form=form_html(form or LoginForm, fields=LOGIN_FIELDS))

    return render() if form is not None else anonymous_page("auth/login.html", render)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> str | Response:
    """POST logs out (a CSRF-checked form, so another site cannot log users
    out); GET, from an old link, asks first."""
    if request.method == "GET":
        return render_template("auth/logout.html", title=_("Log out"), form=LogoutForm())
    if LogoutForm().validate_on_submit():
        end_session()
        flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout_everywhere", methods=["POST"])
@login_required
def logout_everywhere() -> Response:
    """End every login of this account, on every device, and its API token."""
    if not LogoutForm().validate_on_submit():
        return redirect(url_for("main.user", username=current_user.username))
    end_all_sessions(current_user)
    current_user.revoke_token()
    db.session.commit()
    logout_user()
    flash(_("You have been logged out everywhere: on every device, and in the API."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            register_account(form.username.data, form.email.data, form.password.data)
        except DuplicateAccount as dup:
            getattr(form, dup.field).errors.append(dup.message)
        else:
            flash(_("Congratulations, you are now a registered user!"), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", title=_("Register"), form=form)


@bp.route("/reset_password_request", methods=["GET", "POST"])
def reset_password_request() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = ResetPasswordRequestForm()
    if form.validate_on_submit():
        # The same answer, and the same work, whether or not the address is
        # registered, and whether or not a limit was reached.
        request_password_reset(form.email.data)
        flash(_("Check your email for the instructions to reset your password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password_request.html", title=_("Reset Password"), form=form)


@bp.route("/reset_password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    user = User.verify_reset_password_token(token)
    if user is None:
        flash(_("That password reset link is invalid or has expired. Please request a new one."), "warning")
        return redirect(url_for("auth.reset_password_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        lock_out_old_credentials(user)
        db.session.commit()
        flash(_("Your password has been reset."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/change_password", methods=["GET", "POST"])
@login_required
@password_checks
def change_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current_password.data):
            current_user.set_password(form.password.data)
            # Every other device and the API token are logged out; this one stays.
            lock_out_old_credentials(current_user, keep_current=True)
            db.session.commit()
            flash(_("Your password has been changed. Every other device has been logged out."), "success")
            return redirect(url_for("main.edit_profile"))
        note_wrong_password()
        form.current_password.errors.append(_("Your current password is incorrect."))
    return render_template("auth/change_password.html", title=_("Change Password"), form=form)
