"""``flask users``: account tasks for operators (the first admin has to come from somewhere)."""

import sys

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from accounts.users import AccountError, create_user
from models.account import USER_ROLES
from models.db import get_session

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(USER_ROLES), required=True, help="What the account may do.")
@click.option("--org", "organization_id", default=None, help="Organization id (NGO staff and caseworkers).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
def create(email: str, role: str, organization_id: str | None, password_stdin: bool) -> None:
    """Create an account; asks for the password twice (or reads it from stdin when piped)."""
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = get_session()
    with force_locale("en"):  # operators read English; there is no request to pick a language from
        try:
            user = create_user(session, email=email, password=password, role=role, organization_id=organization_id)
        except AccountError as error:
            raise click.ClickException(error.message) from None
    click.echo(f"Created the {user.role} account {user.email}.")
