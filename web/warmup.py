"""Work done once when the app is built, so that a worker's first search is as fast as its second.

Without it the first request pays for reading the gazetteer, configuring the ORM mappers and
compiling the seeker templates (seconds on a busy machine). Under ``gunicorn --preload`` this
runs once in the master and the workers share the result.
"""

import gc

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session

from geo import get_gazetteer
from matching.engine import warm_statements
from matching.needs import get_taxonomy

# The templates of the pages people looking for help open, and what they extend and import.
SEEKER_TEMPLATES = ("base.html", "_macros.html", "finder/", "pages/", "errors/")


def warm_up(app: Flask) -> None:
    """Load the offline data, configure the ORM, compile the seeker templates and the search SQL."""
    get_gazetteer()
    get_taxonomy()
    configure_mappers()
    for name in app.jinja_env.list_templates(filter_func=lambda name: name.startswith(SEEKER_TEMPLATES)):
        app.jinja_env.get_template(name)
    engine = app.extensions["amparo.engine"]
    try:
        with Session(engine) as session:
            warm_statements(session)
    except SQLAlchemyError as error:  # a database not migrated yet: the first searches will compile
        app.logger.warning("Search statements not warmed up: %s", type(error).__name__)
    # Under gunicorn --preload this ran in the master: its connections must not be shared by workers.
    engine.dispose()
    # What is loaded now lives as long as the process: keep the garbage collector from walking it
    # again and again (its full passes over the gazetteer and the compiled SQL cost a search 15 ms at
    # times, measured), and workers forked from here keep sharing those pages.
    gc.freeze()
