"""``flask translate init LANG``, ``flask translate update`` and
``flask translate compile``: the tutorial's commands, on Babel's Python API."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.i18n import NAMES, catalogs

translate_cli = AppGroup("translate", help="Maintain the interface's translations.")


@translate_cli.command("init")
@click.argument("language")
def init(language: str) -> None:
    """Start a catalogue for LANGUAGE (a code such as es or de)."""
    if language not in NAMES:
        raise click.BadParameter(f"{language!r} is not one of {', '.join(NAMES)} (add its name to NAMES first).")
    if catalogs.catalog_path(language).exists():
        raise click.ClickException(f"{language} already has a catalogue: run `flask translate update`.")
    template = catalogs.extract()
    catalogs.write_template(template)
    path = catalogs.init(language, template)
    click.echo(f"Started {catalogs.shown(path)} with {len(template)} messages to translate.")


@translate_cli.command("update")
def update() -> None:
    """Extract the strings again and bring every catalogue in step."""
    template = catalogs.extract()
    catalogs.write_template(template)
    click.echo(f"Extracted {len(template)} messages into {catalogs.shown(catalogs.TEMPLATE)}.")
    for language in catalogs.languages():
        left = list(catalogs.missing(catalogs.update(language, template)))
        click.echo(f"{language}: {len(left)} message{'' if len(left) == 1 else 's'} to translate or check.")


@translate_cli.command("compile")
def compile_() -> None:
    """Compile every catalogue into the .mo file the app reads."""
    done = catalogs.compile_all()
    if not done:
        click.echo("No catalogues to compile.")
    for language, count in done:
        click.echo(f"Compiled {language}: {count} messages.")
