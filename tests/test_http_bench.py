"""The HTTP benchmark's own honesty: searches both routes accept, a wrk script that rotates over all
of them, every answer that is not 2xx counted, settings passed through, and no reuse of another data set."""

import json

import pytest
from sqlmodel import Session

from bench import http_bench
from bench.build import WrongDatabase
from models import db
from tests.factories import make_service


def test_every_search_of_the_rotation_is_accepted_by_the_api_and_the_page(client):
    searches = http_bench.searches()
    assert len(searches) == len({json.dumps(params, sort_keys=True) for params in searches}) > 100
    assert any("language" in params for params in searches)
    assert any("lang" in params for params in searches)
    assert any("need" not in params for params in searches)
    for path in http_bench.paths("/api/v1/search"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_json())
    for path in http_bench.paths("/search")[::12]:
        assert client.get(path).status_code == 200, path


def test_the_api_and_the_page_rotate_over_the_same_searches():
    api = [path.removeprefix("/api/v1/search") for path in http_bench.paths("/api/v1/search")]
    page = [path.removeprefix("/search") for path in http_bench.paths("/search")]
    assert api == page
    assert http_bench.paths("/livez") == ["/livez"]


def test_the_wrk_script_lists_every_path_and_counts_answers_that_are_not_2xx():
    paths = http_bench.paths("/search")
    script = http_bench.lua_script(paths)
    assert all(json.dumps(path) in script for path in paths)
    assert "if status < 200 or status > 299 then" in script
    assert "latency:percentile(99)" in script


def test_wrk_output_is_read_from_the_result_line_and_a_missing_one_is_an_error():
    output = (
        "Running 15s test @ http://127.0.0.1:8000\n  Latency Distribution\n"
        'RESULT {"requests": 3000, "seconds": 15.0, "not_2xx": 4, "p50_ms": 9.5, "p99_ms": 80.25, '
        '"socket_errors": 1, "timeouts": 2}\n'
    )
    load = http_bench.parse_wrk("/search", output)
    assert load.per_second == 200
    assert (load.not_2xx, load.p50_ms, load.p99_ms, load.socket_errors, load.timeouts) == (4, 9.5, 80.25, 1, 2)
    with pytest.raises(RuntimeError, match="wrk printed no result for /search"):
        http_bench.parse_wrk("/search", "Running 15s test\nunable to connect\n")


def test_settings_pass_through_to_gunicorn_and_malformed_ones_are_refused(capsys):
    args = http_bench.arguments(["--env", "AMPARO_CACHE=off", "--env", "GUNICORN_WORKERS=2", "--profile"])
    assert args.env == {"AMPARO_CACHE": "off", "GUNICORN_WORKERS": "2"}
    env = http_bench.server_env("sqlite:///x.sqlite3", 8123, args.env)
    assert env["AMPARO_CACHE"] == "off"
    assert env["GUNICORN_WORKERS"] == "2"
    assert env["AMPARO_RATELIMIT_ENABLED"] == "false"
    assert env["AMPARO_SITE_URL"] == "http://127.0.0.1:8123"
    assert env["GUNICORN_BIND"] == "127.0.0.1:8123"
    for bad in (["--env", "AMPARO_CACHE"], ["--env", "=off"], ["--duration", "0"], ["--services", "-1"]):
        with pytest.raises(SystemExit) as exit_:
            http_bench.arguments([*bad, "--profile"])
        assert exit_.value.code == 2
    assert "--env wants NAME=VALUE, not 'AMPARO_CACHE'" in capsys.readouterr().err


def test_a_database_holding_another_data_set_is_refused(database, session):
    make_service(session, name="Real", needs=["asylum"], lat=32.8, lon=-96.8)
    session.commit()
    with pytest.raises(WrongDatabase, match=r"holds 0 synthetic and 1 other services"):
        http_bench.prepared(database.engine, 0, seed=7)


def test_the_run_stops_with_exit_code_2_on_another_data_set(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path}/other.sqlite3"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        make_service(session, name="Real", needs=["asylum"], lat=32.8, lon=-96.8)
        session.commit()
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(SystemExit) as exit_:
        http_bench.database(http_bench.arguments(["--profile"]))
    assert exit_.value.code == 2
    assert "refused: This database holds 0 synthetic and 1 other services" in capsys.readouterr().err
