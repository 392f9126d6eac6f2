"""The simulated company: directory (sites, users, auto receptionists, queues...),
deterministic ids, and the per-day cache every generator uses.

Everything here is a pure function of (seed, config). Calls are generated per UTC
day by `phone.py`, `cc.py` and `zohodata.py` with a `random.Random` seeded from
(seed, product, day), and kept in an LRU (`DayCache`) bounded by a number of
calls, so a million calls can be served without holding them all at once.

Ids encode where their call lives, so a detail request needs no index:
uuid-like ids end in `<day:5 hex><index:6 hex><check>` and carry a kind/sub-index
in their third group; 19-digit call ids end in `<day:5 digits><index:6 digits>`.
A looked-up id is regenerated and compared, so made-up ids are rejected.
"""

from __future__ import annotations

import random
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

M64 = (1 << 64) - 1

# kinds of generated ids
K_LOG, K_LEG, K_HISTORY, K_ELEMENT, K_USERROW, K_ENGAGEMENT, K_ZOHO, K_REC, K_VM = range(9)

ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def mix(x: int) -> int:
    """splitmix64 finaliser: a cheap, well-spread 64-bit hash of an int."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def make_uuid(rs: int, kind: int, sub: int, day: int, idx: int) -> str:
    h = mix(rs ^ (kind << 56) ^ (sub << 44))
    a = h & 0xFFFFFFFF
    b = (h >> 32) & 0xFFFF
    c = (h >> 48) & 0xFFF
    chk = (h >> 60) & 0xF
    return f"{a:08x}-{b:04x}-4{kind:x}{sub & 0xFF:02x}-{8 | (c >> 10):x}{c & 0x3FF:03x}-{day:05x}{idx:06x}{chk:x}"


def parse_uuid(text: str) -> tuple[int, int, int, int] | None:
    """-> (kind, sub, day, idx) of a generated uuid, or None."""
    parts = text.split("-")
    if len(parts) != 5 or len(parts[2]) != 4 or len(parts[4]) != 12 or parts[2][0] != "4":
        return None
    try:
        kind = int(parts[2][1], 16)
        sub = int(parts[2][2:], 16)
        day = int(parts[4][:5], 16)
        idx = int(parts[4][5:11], 16)
    except ValueError:
        return None
    return kind, sub, day, idx


def make_call_id(rs: int, day: int, idx: int) -> str:
    return f"7{mix(rs ^ 0x5A5A) % 10_000_000:07d}{day:05d}{idx:06d}"


def parse_call_id(text: str) -> tuple[int, int] | None:
    if len(text) != 19 or not text.isdigit():
        return None
    return int(text[8:13]), int(text[13:])


def hex32(rs: int, kind: int, sub: int) -> str:
    return f"{mix(rs ^ (kind << 56) ^ (sub << 44)):016x}{mix(rs ^ (kind << 52) ^ sub ^ 0xABCDEF):016x}"


def zoom_id(rng: random.Random) -> str:
    return "".join(rng.choice(ID_ALPHABET) for _ in range(22))


def cumulative(pairs: list[tuple[str, int]]) -> list[tuple[int, str]]:
    """[(name, weight)] -> [(running total, name)], for weighted_pick."""
    out, total = [], 0
    for name, w in pairs:
        total += w
        out.append((total, name))
    return out


def weighted_pick(cum: list[tuple[int, str]], r: float) -> str:
    """The name a uniform draw r in [0, 1) falls on."""
    x = r * cum[-1][0]
    for edge, name in cum:
        if x < edge:
            return name
    return cum[-1][1]


# ---------------------------------------------------------------------------
# directory

class Entity:
    """A Zoom Phone party inside the company: user, auto receptionist, call queue, shared line group."""

    __slots__ = ("kind", "id", "name", "ext", "did", "site", "email", "department", "cost_center",
                 "members", "index", "licensed", "location", "ext_id")

    def __init__(self, kind: str, id: str, name: str, ext: int | None, did: str | None, site: int,
                 email: str | None = None, department: str | None = None, cost_center: str | None = None,
                 members: tuple[int, ...] = (), index: int = -1, licensed: str = "ok", location: str = ""):
        self.kind = kind
        self.id = id
        self.name = name
        self.ext = ext
        self.did = did
        self.site = site
        self.email = email
        self.department = department
        self.cost_center = cost_center
        self.members = members
        self.index = index
        self.licensed = licensed  # "ok" | "no_license" (3161) | "deleted" (1001)
        self.location = location
        self.ext_id = ""


HISTORY_EXT_TYPE = {"user": "user", "autoReceptionist": "auto_receptionist", "callQueue": "call_queue",
                    "sharedLineGroup": "shared_line_group"}
SYNC_EXT_TYPE = {"user": "user", "autoReceptionist": "autoReceptionist", "callQueue": "callQueue",
                 "sharedLineGroup": "sharedLineGroup"}

FIRST = ["Avery", "Blake", "Camila", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Isabel", "Jonas", "Keiko",
         "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rafael", "Sofia", "Tomas", "Uma", "Victor",
         "Wen", "Xavier", "Yara", "Zane", "Amara", "Bruno", "Chloe", "Diego"]
LAST = ["Anders", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ivanova", "Jensen",
        "Kim", "Lopez", "Murphy", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi", "Silva", "Tanaka",
        "Ueda", "Varga", "Walsh", "Xu", "Young", "Zhang"]
DEPARTMENTS = ["Marketing", "Sales", "Support", "Finance", "Operations"]
SITES = [("W454_mIgsdia4-Yn53334Hw", "Headquarters", "San Jose, CA", "+1408"),
         (None, "Denver Branch", "Denver, CO", "+1303"),
         (None, "London Office", "London", "+44207")]
# (iso, country code, country name, prefix, locations, weight)
COUNTRIES = [
    ("US", "1", "United States", "+1", ["San Jose, CA", "Austin, TX", "New York, NY", "Chicago, IL",
                                        "Seattle, WA", "Glendale, CA", "Boston, MA", "Miami, FL"], 70),
    ("CA", "1", "Canada", "+1", ["Toronto, ON", "Vancouver, BC"], 8),
    ("GB", "44", "United Kingdom", "+44", ["London", "Manchester"], 10),
    ("DE", "49", "Germany", "+49", ["Berlin", "Munich"], 6),
    ("MX", "52", "Mexico", "+52", ["Mexico City"], 6),
]
CALLER_NAMES = ["WIRELESS CALLER", "JOHNSON MARY", "ACME CORP", "SMITH J", "GLOBEX INC", "TOLL FREE CALL",
                "RIVERA CARLOS", "NGUYEN T", "INITECH", "UNKNOWN"]


class External:
    """An outside phone number (customer, supplier...)."""

    __slots__ = ("number", "iso", "cc", "country", "location", "name", "index")

    def __init__(self, number, iso, cc, country, location, name, index):
        self.number = number
        self.iso = iso
        self.cc = cc
        self.country = country
        self.location = location
        self.name = name
        self.index = index


def _phone(rng: random.Random, prefix: str) -> str:
    if prefix == "+1":
        return f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
    if prefix.startswith("+1"):
        return f"{prefix}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
    return f"{prefix}{rng.randint(10_000_000, 99_999_999)}"


class Directory:
    """Sites, users, auto receptionists, call queues, shared lines, outside numbers."""

    def __init__(self, seed: int, n_users: int):
        rng = random.Random(f"directory:{seed}")
        self.sites: list[tuple[str, str, str, str]] = []
        for sid, name, loc, prefix in SITES:
            self.sites.append((sid or zoom_id(rng), name, loc, prefix))
        self.users: list[Entity] = []
        used_names = {"Ji Won Lee", "Rosario Ramirez"}
        fixed = [("XnK5466456xPIzSg", "Ji Won Lee", 150001), ("uK9clxm34534543lGCAOdA", "Rosario Ramirez", 151011)]
        for i in range(n_users):
            if i < 2:
                uid, name, ext = fixed[i]
                site = 0
                dept = "Marketing"
            else:
                uid = zoom_id(rng)
                while True:
                    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                    if name not in used_names or len(used_names) > 600:
                        break
                used_names.add(name)
                ext = 160000 + i
                site = 0 if i < max(3, int(n_users * 0.6)) else (1 if i % 2 else 2)
                dept = DEPARTMENTS[i % len(DEPARTMENTS)]
            first, _, last = name.partition(" ")
            email = f"{first.lower()}.{last.lower().replace(' ', '')}{'' if i < 2 else i}@example.com"
            did = _phone(rng, self.sites[site][3])
            u = Entity("user", uid, name, ext, did, site, email=email, department=dept,
                       cost_center=f"CC-{100 + DEPARTMENTS.index(dept) * 10}", index=i,
                       location=self.sites[site][2])
            u.ext_id = zoom_id(rng)
            self.users.append(u)
        # listed users without a working Zoom Phone licence
        self.unlicensed: list[Entity] = []
        for j, (name, state) in enumerate([("Morgan Blake", "no_license"), ("Casey Former", "deleted")]):
            u = Entity("user", zoom_id(rng), name, None, None, 0, email=f"user{j}.nophone@example.com",
                       department="Operations", cost_center="CC-140", index=-1, licensed=state)
            self.unlicensed.append(u)
        n = len(self.users)

        def pick(start: int, count: int) -> tuple[int, ...]:
            out: list[int] = []
            for k in range(count):
                v = (start + k) % n
                if v not in out:
                    out.append(v)
            return tuple(out)

        marketing_members = (0, 1) + tuple(x for x in pick(2, 3) if x not in (0, 1))
        self.queues = [
            Entity("callQueue", "EzYX42345pQgfMA_U6UQ", "Marketing Queue", 151006, _phone(rng, "+1408"), 0,
                   members=marketing_members, department="Marketing", cost_center="CC-100"),
            Entity("callQueue", zoom_id(rng), "Support Queue", 151007, _phone(rng, "+1408"), 0,
                   members=pick(2, 5), department="Support", cost_center="CC-120"),
            Entity("callQueue", zoom_id(rng), "Sales Queue", 151008, _phone(rng, "+1303"), 1,
                   members=pick(max(0, n - 4), 4), department="Sales", cost_center="CC-110"),
        ]
        self.ars = [
            Entity("autoReceptionist", "4KL1uortyet5644boSbtEw", "Marketing Hotline", 150002,
                   _phone(rng, "+1408"), 0, members=(0,), department="Marketing", cost_center="CC-100"),
            Entity("autoReceptionist", zoom_id(rng), "Main Line", 150000, _phone(rng, "+1408"), 0,
                   members=(1, 2), department="Operations", cost_center="CC-140"),
            Entity("autoReceptionist", zoom_id(rng), "Denver Main", 150100, _phone(rng, "+1303"), 1,
                   members=(2,), department="Sales", cost_center="CC-110"),
        ]
        self.slgs = [
            Entity("sharedLineGroup", zoom_id(rng), "Front Desk", 152001, _phone(rng, "+1408"), 0,
                   members=pick(1, 3), department="Operations", cost_center="CC-140"),
        ]
        for i, e in enumerate(self.queues + self.ars + self.slgs):
            e.index = i
            e.ext_id = zoom_id(rng)
            e.location = self.sites[e.site][2]
        self.by_user_id = {u.id: u for u in self.users}
        # outside numbers: a pool, so customers call more than once
        self.externals: list[External] = []
        weights = [c[5] for c in COUNTRIES]
        for i in range(1500):
            iso, cc, country, prefix, locs, _w = rng.choices(COUNTRIES, weights)[0]
            self.externals.append(External(_phone(rng, prefix), iso, cc, country, rng.choice(locs),
                                           rng.choice(CALLER_NAMES), i))
        self.fixture_caller = External("+16695551234", "US", "1", "United States", "San Jose, CA",
                                       "WIRELESS CALLER", -1)


# ---------------------------------------------------------------------------
# lazily generated days

class DayCache:
    """LRU of generated days, bounded by the number of items (calls) kept."""

    def __init__(self, generate: Callable[[int], list[Any]], max_items: int):
        self._generate = generate
        self._max = max(1, max_items)
        self._days: OrderedDict[int, list[Any]] = OrderedDict()
        self._items = 0
        self._lock = threading.RLock()
        self.generated = 0  # days generated (including regenerations after eviction)

    def get(self, day: int) -> list[Any]:
        with self._lock:
            items = self._days.get(day)
            if items is not None:
                self._days.move_to_end(day)
                return items
            items = self._generate(day)
            self.generated += 1
            self._days[day] = items
            self._items += len(items)
            while self._items > self._max and len(self._days) > 1:
                _, old = self._days.popitem(last=False)
                self._items -= len(old)
            return items

    @property
    def cached_items(self) -> int:
        return self._items


class DayCalls:
    """One simulated day's calls, sorted by start (epoch seconds)."""

    __slots__ = ("day", "calls", "starts")

    def __init__(self, day: int, calls: list):
        self.day = day
        self.calls = calls
        self.starts = [c.start for c in calls]

    def __len__(self) -> int:
        return len(self.calls)

    def between(self, lo: int, hi: int) -> list:
        """Calls with lo <= start < hi."""
        return self.calls[bisect_left(self.starts, lo): bisect_left(self.starts, hi)]
