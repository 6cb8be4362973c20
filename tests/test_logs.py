"""Logs never carry a person's data: no searched places in request lines, errors or geocoder notes."""

import logging

from web.logs import DropQueryStrings


def test_request_lines_lose_their_query_strings():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s %s',
                               ("127.0.0.1", "GET /search?location=75201&need=asylum HTTP/1.1", "200", "-"), None)
    DropQueryStrings().filter(record)
    message = record.getMessage()
    assert "75201" not in message
    assert "GET /search HTTP/1.1" in message


def test_request_lines_lose_the_tokens_of_invitation_and_reset_links():
    for path in ("/account/invitations/s3cr3t-Token_x", "/account/reset/s3cr3t-Token_x?next=/"):
        record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s %s',
                                   ("127.0.0.1", f"GET {path} HTTP/1.1", "200", "-"), None)  # fmt: skip
        DropQueryStrings().filter(record)
        assert "s3cr3t" not in record.getMessage()
        assert "/account/" in record.getMessage()


def test_an_unexpected_error_during_a_search_logs_no_place(client, monkeypatch, caplog):
    import web.search

    def broken(*_args, **_kwargs):
        raise RuntimeError("engine down")

    monkeypatch.setattr(web.search, "search", broken)
    with caplog.at_level(logging.INFO):
        response = client.get("/search?location=1500+Marilla+St%2C+Dallas%2C+TX+75201&need=crisis")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "engine down" in caplog.text
    assert "Marilla" not in caplog.text
    assert "75201" not in caplog.text


def test_sql_errors_hide_their_parameters(database):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with database.engine.connect() as connection, pytest.raises(DBAPIError) as failure:
        connection.execute(text("SELECT * FROM no_such_table WHERE name = :place"), {"place": "Marilla St"})
    assert "Marilla" not in str(failure.value)
