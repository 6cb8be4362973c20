"""A results cache for the engine's rankings (matching.engine.Ranking), shared by every app process.

A ranking is the slow part of a search and depends only on the query and the directory, so the same
question asked again, on any worker, is answered from the cache until the directory changes:

- The key is a keyed hash (HMAC-SHA256 with a key drawn from SECRET_KEY) of the query, rounded (the
  point to 3 decimals, ~100 m; lists sorted), the limit, the directory's version
  (matching.index.index_version, one primary-key read per search) and, only when the query asks
  "open now", the current minute. Every write to the search index bumps the version in its own
  transaction, so any listing change invalidates every cached answer at once, in every process.
- The search runs on the rounded point (``rounded``), so a cached answer is exactly the answer to its
  key, whoever asked first.
- A value is the ranking only: index row ids, distances and the codes of unknown filters, no place
  text. In Redis it is also encrypted (AES-GCM, key from SECRET_KEY): the order and distances of
  known sites would otherwise let whoever reads Redis work out where a seeker searched.

Backends: in-process memory (a bounded LRU, the default), or Redis (CACHE_URL) shared by every
worker; each entry expires after CACHE_TTL_SECONDS.

What a page shows beside the ranking (the index rows of its results, their addresses and phones, the
directory's last change) depends only on the directory's version too: ``FactsMemo`` keeps it in each
process for the current version, so that a search answered from the cache reads one row (the
version), not ten queries' worth. A Redis that does not answer never breaks a
search: it is logged once, left alone for a while, and searches are ranked uncached meanwhile.
"""

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Session

from matching import engine
from matching.engine import Ranking, SearchQuery, rank
from matching.index import index_version

log = logging.getLogger(__name__)

POINT_DECIMALS = 3  # about 110 m north to south: finer than a ZIP or town centre, coarse enough to share
REDIS_RETRY_SECONDS = 30  # after Redis fails, searches go uncached this long before it is tried again
REDIS_TIMEOUT_SECONDS = 0.25  # a Redis slower than this is treated as down (a search must not wait on it)


def rounded(query: SearchQuery) -> SearchQuery:
    """Return the query the cache answers: the point rounded, "now" to the minute (when it matters)."""
    now = None
    if query.open_now:
        now = query.now or datetime.now(UTC)
        now = (now.replace(tzinfo=UTC) if now.tzinfo is None else now).replace(second=0, microsecond=0)
    return replace(query, lat=round(query.lat, POINT_DECIMALS), lon=round(query.lon, POINT_DECIMALS), now=now)


def key_text(query: SearchQuery, limit: int, version: str) -> str:
    """Return the text that the cache key is a hash of (``query`` already ``rounded``).

    The engine's cap is in it too: servers of two releases sharing one Redis during a deploy must not
    hand each other rankings counted to another cap.
    """
    return json.dumps(
        [
            engine.RESULT_CAP,
            query.lat, query.lon, query.state, query.county, query.timezone, query.need,
            sorted(set(query.languages)), query.cost, sorted(set(query.credentials)), query.accepting,
            query.open_now, query.delivery, query.radius_km, sorted(query.strict), limit, version,
            query.now.isoformat() if query.open_now else None,
        ],
        separators=(",", ":"),
    )  # fmt: skip


def dump(ranking: Ranking) -> bytes:
    """Serialise a ranking compactly (JSON): [[row id, km, "codes"], ...], total, confirmed, nearby, capped."""
    entries = [[entry_id, distance, ",".join(unknown)] for entry_id, distance, unknown in ranking.entries]
    counts = [ranking.total, ranking.confirmed, ranking.nearby, ranking.capped]
    return json.dumps([entries, *counts], separators=(",", ":")).encode()


def load(data: bytes) -> Ranking:
    """Read a ranking written by ``dump``."""
    entries, total, confirmed, nearby, capped = json.loads(data)
    return Ranking(
        entries=tuple(
            (entry_id, distance, tuple(codes.split(",")) if codes else ()) for entry_id, distance, codes in entries
        ),
        total=total,
        confirmed=confirmed,
        nearby=nearby,
        capped=capped,
    )


class MemoryBackend:
    """A bounded LRU in this process, safe across threads (gunicorn's gthread workers)."""

    def __init__(self, *, size: int, ttl: float):
        self.size = size
        self.ttl = ttl
        self._entries: OrderedDict[str, tuple[float, Ranking]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Ranking | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires, ranking = found
            if expires <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return ranking

    def set(self, key: str, ranking: Ranking) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl, ranking)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class RedisBackend:
    """Entries in one Redis shared by every app process, encrypted, each with an expiry."""

    def __init__(self, url: str, *, ttl: float, prefix: str, secret: bytes):
        import redis

        self.client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        self.ttl = max(1, int(ttl))
        self.prefix = prefix
        self._cipher = AESGCM(secret)

    def get(self, key: str) -> Ranking | None:
        data = self.client.get(self.prefix + key)
        if data is None:
            return None
        return load(self._cipher.decrypt(data[:12], data[12:], key.encode()))

    def set(self, key: str, ranking: Ranking) -> None:
        nonce = os.urandom(12)
        # The key is the associated data: a value copied under another key does not decrypt.
        sealed = nonce + self._cipher.encrypt(nonce, dump(ranking), key.encode())
        self.client.set(self.prefix + key, sealed, ex=self.ttl)


class FactsMemo:
    """Facts of the directory read for one version, kept in this process (safe across threads).

    A fact is anything read from the directory for a page: an index row, a result's details. They are
    kept by (kind, key) for the version the request read before reading them; a request with another
    version empties the memo. The version is read before the facts, so a fact kept under a version is
    never older than it (the same rule as the results cache). Bounded: past ``size`` facts, it starts
    again empty (a page reads about twenty; the bound only stops a crawl from growing it: 10,000 facts
    of about 1.5 KB each, some 15 MB a process).
    """

    def __init__(self, size: int = 10_000):
        self.size = size
        self._version: str | None = None
        self._facts: dict[tuple[str, object], object] = {}
        self._lock = threading.Lock()

    def read(self, version: str, kind: str, keys: list, fetch) -> dict:
        """Return {key: fact} for ``keys`` that exist; ``fetch(missing keys) -> {key: fact}`` reads the rest."""
        with self._lock:
            if version != self._version:
                self._version, self._facts = version, {}
            found = {key: self._facts[kind, key] for key in keys if (kind, key) in self._facts}
        missing = [key for key in keys if key not in found]
        if not missing:
            return found
        fetched = fetch(missing)
        with self._lock:
            if version == self._version:
                if len(self._facts) + len(fetched) > self.size:
                    self._facts = {}
                self._facts.update(((kind, key), fact) for key, fact in fetched.items())
        return found | fetched

    def get(self, version: str, kind: str, key):
        """Return the fact kept for ``key``, or None."""
        with self._lock:
            return self._facts.get((kind, key)) if version == self._version else None

    def put(self, version: str, kind: str, key, fact):
        """Keep ``fact`` (read for ``version``) and return it."""
        with self._lock:
            if version != self._version:
                self._version, self._facts = version, {}
            if len(self._facts) >= self.size:
                self._facts = {}
            self._facts[kind, key] = fact
        return fact

    def __len__(self) -> int:
        return len(self._facts)

    def bound(self, version: str) -> "Facts":
        """Return this memo for one request's version."""
        return Facts(self, version)


@dataclass(frozen=True)
class Facts:
    """A FactsMemo bound to the version one request read: what matching.engine.search and page_details take."""

    memo: FactsMemo
    version: str

    def read(self, kind: str, keys: list, fetch) -> dict:
        return self.memo.read(self.version, kind, keys, fetch)

    def get(self, kind: str, key):
        return self.memo.get(self.version, kind, key)

    def put(self, kind: str, key, fact):
        return self.memo.put(self.version, kind, key, fact)


class ResultsCache:
    """Answer ``rank`` from a backend (None: off), keyed as the module says; count hits and misses."""

    def __init__(self, backend: MemoryBackend | RedisBackend | None, *, secret: bytes):
        self.backend = backend
        self._key_secret = secret
        self._down = False  # the store failed: skipped until _down_until, then tried again
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()  # hit, miss, off, error

    def key(self, query: SearchQuery, limit: int, version: str) -> str:
        """Return the cache key of a ``rounded`` query: a keyed hash, nothing readable."""
        return hmac.new(self._key_secret, key_text(query, limit, version).encode(), hashlib.sha256).hexdigest()

    def lookup(
        self, session: Session, query: SearchQuery, limit: int, version: str | None = None
    ) -> tuple[Ranking, str]:
        """Return the ranking of ``query`` (rounded) and how it was found: "hit", "miss", "off" or "error".

        ``version``: the directory's version, when the caller read it already (once per request: read
        before ranking, it can only be older than the data ranked, never newer, so no stale answer is
        stored under a current version).
        """
        query = rounded(query)
        if self.backend is None or time.monotonic() < self._down_until:
            return self._count(rank(session, query, limit), "off" if self.backend is None else "error")
        key = self.key(query, limit, version or index_version(session))
        try:
            found = self.backend.get(key)
        except Exception as error:  # noqa: BLE001  (any failure of the cache's store: search on without it)
            self._backend_failed(error)
            return self._count(rank(session, query, limit), "error")
        if self._down:
            self._down = False
            log.info("Results cache available again")
        if found is not None:
            return self._count(found, "hit")
        ranking = rank(session, query, limit)
        try:
            self.backend.set(key, ranking)
        except Exception as error:  # noqa: BLE001
            self._backend_failed(error)
            return self._count(ranking, "error")
        return self._count(ranking, "miss")

    def rank(self, session: Session, query: SearchQuery, limit: int) -> Ranking:
        """A ``ranker`` for matching.engine.search."""
        return self.lookup(session, query, limit)[0]

    def _count(self, ranking: Ranking, outcome: str) -> tuple[Ranking, str]:
        with self._lock:
            self.counts[outcome] += 1
        return ranking, outcome

    def _backend_failed(self, error: Exception) -> None:
        """Leave the store alone for a while; say so once per outage (the error names no query)."""
        with self._lock:
            first, self._down = not self._down, True
            self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
        if first:
            log.warning("Results cache unavailable, searching uncached for now: %s", type(error).__name__)


def build_results_cache(config) -> ResultsCache:
    """Build the cache the settings ask for: CACHE ("off" turns it off), CACHE_URL (Redis), the rest."""
    secret = hashlib.sha256(b"amparo-results-cache\0" + str(config["SECRET_KEY"]).encode()).digest()
    mode = str(config.get("CACHE", "on")).lower()
    ttl = float(config.get("CACHE_TTL_SECONDS") or 300)
    backend = None
    if mode not in ("off", "false", "0", "no"):
        url = config.get("CACHE_URL")
        if url:
            value_key = hashlib.sha256(b"amparo-results-value\0" + str(config["SECRET_KEY"]).encode()).digest()
            backend = RedisBackend(url, ttl=ttl, prefix=config.get("CACHE_KEY_PREFIX") or "", secret=value_key)
        else:
            backend = MemoryBackend(size=int(config.get("CACHE_SIZE") or 256), ttl=ttl)
    return ResultsCache(backend, secret=secret)
