"""HTTP throughput: gunicorn with the production config, wrk on loopback, one run, three routes.

Starts gunicorn with the checked-in gunicorn.conf.py on the bundled real data (SQLite in bench/out/
unless DATABASE_URL is set), waits for /healthz, then loads each route with wrk for a fixed time:
the bare liveness route /livez, /api/v1/search and /search, both search routes rotating over the
same fixed list of searches (big towns and their ZIPs, every top-level need and none, a Spanish or
other language filter now and then, pages in another language now and then). Prints req/s, p50
and p99 latency, the answers that were not 2xx (each one a failure), each search route's req/s as
a share of /livez's, the load average, the workers' memory and the number of services.

    make bench-http
    make bench-http BENCH_ARGS="--duration 30 --connections 64"
    make bench-http BENCH_ARGS="--env AMPARO_CACHE=off"          # any setting, passed to gunicorn
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_http make bench-http
    make bench-http BENCH_ARGS="--profile"      # no server: where a request's time goes (cProfile)

The rate limiter is off for the run (AMPARO_RATELIMIT_ENABLED=false): it measures the request, and
every request comes from one address. A database holding another data set is refused, never reused.
"""

import argparse
import cProfile
import itertools
import json
import os
import platform
import pstats
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from sqlmodel import Session

from bench.build import WrongDatabase, check_or_build, contents
from models import db

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
BARE = "/livez"
SEARCH_ROUTES = ("/api/v1/search", "/search")

# Where people search from: towns with the most bundled sites and a few other large ones, by name or ZIP.
PLACES = (
    "New York, NY", "10004", "Brooklyn, NY", "11201", "Bronx, NY", "Chicago, IL", "60608", "Baltimore, MD",
    "Phoenix, AZ", "Salt Lake City, UT", "Los Angeles, CA", "90015", "Minneapolis, MN", "Las Vegas, NV",
    "Philadelphia, PA", "Houston, TX", "Miami, FL", "Denver, CO", "Atlanta, GA", "San Diego, CA", "Dallas, TX",
    "75201", "San Antonio, TX", "Newark, NJ",
)  # fmt: skip
# No need, each top-level need, and two specific ones people often ask for.
NEEDS = (None, "immigration-legal", "legal-aid", "mental-health", "victim-support", "crisis", "asylum", "counseling")
OTHER_LANGUAGES = ("zh", "vi", "ar", "ht")
PAGE_LANGUAGES = ("es", "zh-Hans", "vi", "ar", "ko")


def searches() -> list[dict]:
    """Return the fixed list of searches, as query parameters (the same for the API and the page).

    Every third search filters on a language (Spanish mostly), every fifth is read in another
    language (?lang=), so that the list exercises the filters and the catalogues, not one URL.
    """
    found = []
    for number, (place, need) in enumerate(itertools.product(PLACES, NEEDS)):
        params = {"location": place}
        if need:
            params["need"] = need
        if number % 3 == 0:
            params["language"] = "es" if number % 4 else OTHER_LANGUAGES[number // 12 % len(OTHER_LANGUAGES)]
        if number % 5 == 0:
            params["lang"] = PAGE_LANGUAGES[number // 5 % len(PAGE_LANGUAGES)]
        found.append(params)
    return found


def paths(route: str) -> list[str]:
    """Return the request paths of ``route`` for every search (just the route for the bare one)."""
    if route == BARE:
        return [BARE]
    return [f"{route}?{urlencode(params)}" for params in searches()]


def lua_script(request_paths: list[str]) -> str:
    """Return a wrk script that rotates over ``request_paths`` (each thread from its own offset) and
    prints one JSON line at the end: requests, seconds, latency percentiles and answers that were not 2xx."""
    listed = ",\n".join(f"  {json.dumps(path)}" for path in request_paths)
    return f"""-- Made by bench/http_bench.py for one run; not edited by hand.
local paths = {{
{listed}
}}
local threads = {{}}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  failed = 0
  position = (id * 37) % #paths
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local failures = 0
  for _, thread in ipairs(threads) do
    failures = failures + thread:get("failed")
  end
  local errors = summary.errors
  io.write(string.format(
    'RESULT {{"requests": %d, "seconds": %.3f, "not_2xx": %d, "p50_ms": %.2f, "p99_ms": %.2f, ' ..
    '"socket_errors": %d, "timeouts": %d}}\\n',
    summary.requests, summary.duration / 1e6, failures, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors.connect + errors.read + errors.write, errors.timeout))
end
"""


@dataclass
class Load:
    """What wrk measured on one route."""

    route: str
    requests: int
    seconds: float
    not_2xx: int
    p50_ms: float
    p99_ms: float
    socket_errors: int
    timeouts: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_wrk(route: str, output: str) -> Load:
    """Read the RESULT line the script's done() prints; a run without one is an error."""
    for line in output.splitlines():
        if line.startswith("RESULT "):
            return Load(route=route, **json.loads(line.removeprefix("RESULT ")))
    raise RuntimeError(f"wrk printed no result for {route}:\n{output}")


def parse_env(pairs: list[str]) -> dict[str, str]:
    """Turn ``--env NAME=VALUE`` arguments into a dict; refuse anything else."""
    found = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not name.replace("_", "").isalnum():
            raise argparse.ArgumentTypeError(f"--env wants NAME=VALUE, not {pair!r}")
        found[name] = value
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(url: str, port: int, extra: dict[str, str]) -> dict[str, str]:
    """Return gunicorn's environment: production settings on loopback, rate limits off, then --env."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    env.update(
        DATABASE_URL=url,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        AMPARO_SITE_URL=f"http://127.0.0.1:{port}",
        AMPARO_RATELIMIT_ENABLED="false",
    )
    env.update(extra)
    return env


def wait_until_healthy(base: str, server: subprocess.Popen, timeout: float = 120) -> None:
    """Wait for /healthz to answer 200 (the database reachable and migrated)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped (exit code {server.returncode}); see {OUT / 'http-gunicorn.log'}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as answer:  # noqa: S310  (loopback)
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"/healthz did not answer 200 within {timeout:.0f} s")


def workers(master: int) -> list[int]:
    """Return the process ids of gunicorn's workers (the master's children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry.name))
    return sorted(found)


def memory_mb(pid: int) -> tuple[float, float]:
    """Return a process's resident memory and its proportional share (PSS: shared pages split), in MB.

    After a preloaded fork, RSS counts the pages a worker shares with the master and its siblings
    in full; PSS splits them, so the sum of PSS is what the workers really take together.
    """
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return fields["Rss"] / 1024, fields["Pss"] / 1024


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run_wrk(base: str, route: str, args: argparse.Namespace, *, duration: float) -> Load:
    """Load ``route`` for ``duration`` seconds with wrk and return what it measured."""
    script = OUT / f"http-{route.strip('/').replace('/', '-')}.lua"
    script.write_text(lua_script(paths(route)))
    command = [
        args.wrk, "--threads", str(args.threads), "--connections", str(args.connections),
        "--duration", f"{duration:g}s", "--timeout", f"{args.timeout:g}s", "--latency", "--script", str(script), base,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603  (our arguments)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed on {route}:\n{done.stdout}{done.stderr}")
    return parse_wrk(route, done.stdout)


def prepared(engine, services: int, *, seed: int) -> int:
    """Migrate, then build the data set on an empty database or check that it is this one; return the
    number of services. Raises WrongDatabase when the database holds another data set."""
    db.upgrade(engine)
    built = check_or_build(engine, services, seed=seed)
    if built is not None:
        print(f"built the data set in {built:.0f} s")
    with Session(engine) as session:
        found = contents(session)
    return found.synthetic + found.other


def database(args: argparse.Namespace) -> tuple[str, int]:
    """Return the database URL and its number of services; exit 2 when it holds another data set."""
    OUT.mkdir(exist_ok=True)
    # The same file name as bench/search_bench.py: --services N reuses its data set.
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{OUT}/bench-{args.services}.sqlite3"
    engine = db.make_engine(url)
    try:
        return url, prepared(engine, args.services, seed=args.seed)
    except WrongDatabase as error:
        print(f"refused: {error}", file=sys.stderr)
        sys.exit(2)
    finally:
        engine.dispose()


def serve_and_load(args: argparse.Namespace, url: str, extra_env: dict[str, str]) -> None:
    """Start gunicorn, load each route with wrk, print the figures, stop gunicorn."""
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    log = (OUT / "http-gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603  (fixed arguments)
        [str(Path(sys.executable).parent / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT, env=server_env(url, port, extra_env), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until_healthy(base, server)
        print(f"gunicorn (gunicorn.conf.py) answers on {base}; load average {load_average()}")
        for route in (BARE, *SEARCH_ROUTES):  # warm every worker on every route; not counted
            run_wrk(base, route, args, duration=args.warmup)
        loads = [run_wrk(base, route, args, duration=args.duration) for route in (BARE, *SEARCH_ROUTES)]
        memory = [memory_mb(pid) for pid in workers(server.pid)]
        master = memory_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    report(loads, memory, master, args)


def report(loads: list[Load], memory: list[tuple[float, float]], master: tuple[float, float], args) -> None:
    bare = loads[0].per_second
    print(
        f"wrk: {args.connections} connections, {args.threads} thread(s), {args.duration:g} s per route, "
        f"{len(searches())} searches in rotation"
    )
    print(f"{'route':<16} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'not 2xx':>8} {'errors':>7}  share of {BARE}")
    for load in loads:
        share = f"{load.per_second / bare:7.1%}" if bare else "    n/a"
        print(
            f"{load.route:<16} {load.per_second:9.1f} {load.p50_ms:9.2f} {load.p99_ms:9.2f} {load.not_2xx:8d} "
            f"{load.socket_errors + load.timeouts:7d}  {share}"
        )
    failures = sum(load.not_2xx + load.socket_errors + load.timeouts for load in loads)
    print(f"failures (not 2xx, socket errors, timeouts): {failures}")
    rss = ", ".join(f"{r:.0f}" for r, _ in memory)
    pss = sum(p for _, p in memory)
    print(
        f"memory after the run: {len(memory)} workers, RSS {rss} MB (PSS, shared pages split: {pss:.0f} MB "
        f"together); master RSS {master[0]:.0f} MB"
    )
    print(f"load average at end: {load_average()}")


def profile(args: argparse.Namespace, url: str) -> None:
    """Run every search in-process (test client, production-like app) under cProfile; print where time goes."""
    from app import create_app

    engine = db.make_engine(url)
    app = create_app({"ENGINE": engine, "RATELIMIT_ENABLED": False, "SITE_URL": "http://127.0.0.1:5000"})
    client = app.test_client()
    for route in SEARCH_ROUTES:
        request_paths = paths(route)
        for path in request_paths[:20]:  # warm caches; not counted
            client.get(path)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.profile_rounds):
            for path in request_paths:
                response = client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code}")
        profiler.disable()
        count = len(request_paths) * args.profile_rounds
        print(f"{route}: {count} requests, {(time.perf_counter() - started) / count * 1000:.1f} ms each under cProfile")
        stats = pstats.Stats(profiler)
        for name, share in shares(stats):
            print(f"  {name:<34} {share:6.1%}")
        if args.profile_top:
            stats.sort_stats("cumulative").print_stats(args.profile_top)
    engine.dispose()


# Own time (not counting callees) grouped by where the code lives, first match wins.
GROUPS = (
    ("Babel and Flask-Babel", ("/babel/", "/flask_babel/")),
    ("Jinja templates", ("/jinja2/", "/markupsafe/", ".html")),
    ("database (SQLAlchemy, driver)", ("/sqlalchemy/", "/sqlmodel/", "/psycopg", "sqlite3", "/geoalchemy2/")),
    ("matching engine", ("/matching/",)),
    ("Flask and Werkzeug", ("/flask/", "/werkzeug/", "/flask_limiter/", "/flask_login/", "/flask_compress/")),
    ("forms (WTForms)", ("/wtforms/", "/flask_wtf/")),
    ("JSON", ("/json/", "json.")),
    ("Amparo web code", ("/web/", "/api/", "/finder/", "/hsds/", "/geo/")),
)


def shares(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Return each group's share of the profiled time (own time of its functions)."""
    totals = dict.fromkeys([name for name, _ in GROUPS] + ["other"], 0.0)
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        where = f"{filename} {function}"
        group = next((name for name, marks in GROUPS if any(mark in where for mark in marks)), "other")
        totals[group] += own
    whole = sum(totals.values()) or 1.0
    return [(name, total / whole) for name, total in totals.items()]


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15, help="seconds of load per route")
    parser.add_argument("--warmup", type=float, default=3, help="seconds per route before measuring")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (the server needs the cores more)")
    parser.add_argument("--timeout", type=float, default=10, help="wrk's timeout per request, in seconds")
    parser.add_argument("--port", type=int, default=0, help="0: any free port on 127.0.0.1")
    parser.add_argument("--services", type=int, default=0, help="synthetic services on top of the real data")
    parser.add_argument("--seed", type=int, default=7, help="the synthetic data set's seed (as make bench)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="a setting for gunicorn")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument("--profile", action="store_true", help="profile in-process instead of serving")
    parser.add_argument("--profile-rounds", type=int, default=1, help="times through the searches")
    parser.add_argument("--profile-top", type=int, default=0, help="also print the N costliest functions")
    args = parser.parse_args(argv)
    for name in ("duration", "connections", "threads", "timeout"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be positive")
    if args.services < 0:
        parser.error("--services cannot be negative")
    try:
        args.env = parse_env(args.env)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    if not args.profile and not Path(args.wrk).exists():
        parser.error(f"wrk not found at {args.wrk} (Debian: apt-get install wrk; `make bench-http` does it)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average at start: {load_average()}"
    )
    url, services = database(args)
    print(f"data: {services:,} services, {url.split(':', 1)[0]}; settings: {args.env or 'defaults'}")
    if args.profile:
        os.environ.update(args.env)
        profile(args, url)
    else:
        serve_and_load(args, url, args.env)


if __name__ == "__main__":
    main()
