"""A seeded, realistic demo workspace: a SaaS customer base and the CS team that serves it.

Same seed and reference date, same workspace, down to the last cent. The base has the shape
segmentation work meets in practice: a long ARR tail (a few percent of accounts carry most of
the ARR), healthcare settings beside other industries, uneven CSM books, a few strategic and a
few unowned accounts, and realistic gaps (no employee count, no potential ARR, no NPS).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

MIN_ACCOUNTS = 1_000
MAX_ACCOUNTS = 1_000_000
DEFAULT_SEED = 7

# (id, name, role, region, manager id, capacity hours/week, fully-loaded annual cost, book weight)
_TEAM = (
    ("dana-whitfield", "Dana Whitfield", "leader", None, None, 5, 265_000, 0.0),
    ("marcus-chen", "Marcus Chen", "manager", "NA", "dana-whitfield", 10, 195_000, 0.0),
    ("ingrid-larsen", "Ingrid Larsen", "manager", "EMEA", "dana-whitfield", 10, 190_000, 0.0),
    ("priya-raman", "Priya Raman", "manager", "APAC", "dana-whitfield", 10, 185_000, 0.0),
    ("jordan-blake", "Jordan Blake", "csm", "NA", "marcus-chen", 40, 152_000, 1.7),
    ("avery-collins", "Avery Collins", "csm", "NA", "marcus-chen", 40, 148_000, 1.0),
    ("sam-patel", "Sam Patel", "csm", "NA", "marcus-chen", 40, 141_000, 0.6),
    ("riley-nguyen", "Riley Nguyen", "csm", "NA", "marcus-chen", 32, 139_000, 1.3),
    ("taylor-brooks", "Taylor Brooks", "csm", "NA", "marcus-chen", 40, 150_000, 0.9),
    ("morgan-diaz", "Morgan Diaz", "csm", "NA", "marcus-chen", 40, 146_000, 1.5),
    ("lena-fischer", "Lena Fischer", "csm", "EMEA", "ingrid-larsen", 40, 138_000, 1.4),
    ("tom-hughes", "Tom Hughes", "csm", "EMEA", "ingrid-larsen", 40, 135_000, 0.7),
    ("chloe-martin", "Chloé Martin", "csm", "EMEA", "ingrid-larsen", 36, 137_000, 1.1),
    ("kenji-sato", "Kenji Sato", "csm", "APAC", "priya-raman", 40, 132_000, 1.2),
    ("aisha-rahman", "Aisha Rahman", "csm", "APAC", "priya-raman", 40, 128_000, 0.8),
    ("lucas-oliveira", "Lucas Oliveira", "csm", "LATAM", "priya-raman", 40, 118_000, 1.0),
    ("casey-park", "Casey Park", "admin", None, "dana-whitfield", 0, 121_000, 0.0),
)

# Hand-made accounts a newcomer can look up by name: `tier acme` has several answers.
_ANCHORS = (
    # name, industry, setting, region, country, arr, strategic
    ("Acme Corp", "Healthcare", "health system", "NA", "United States", 1_240_000, 1),
    ("Acme Health Partners", "Healthcare", "hospital", "NA", "United States", 310_000, 0),
    ("Acme Dental Group", "Healthcare", "private practice", "NA", "Canada", 18_400, 0),
    ("Globex Corporation", "Technology", "software", "EMEA", "Germany", 640_000, 1),
    ("Initech", "Financial Services", "bank", "NA", "United States", 96_000, 0),
    ("Umbrella Health System", "Healthcare", "health system", "EMEA", "United Kingdom", 880_000, 1),
    ("Northwind Traders", "Retail", "e-commerce", "NA", "United States", 42_500, 0),
    ("Contoso Medical Center", "Healthcare", "hospital", "APAC", "Australia", 227_000, 0),
)

_INDUSTRY_SETTINGS = {
    "Healthcare": (
        0.45,
        (
            ("hospital", 0.16, 6.0),
            ("health system", 0.04, 14.0),
            ("private practice", 0.42, 0.5),
            ("home health", 0.16, 1.2),
            ("behavioral health", 0.12, 0.9),
            ("urgent care", 0.10, 0.8),
        ),
    ),
    "Technology": (0.15, (("software", 0.6, 1.4), ("IT services", 0.4, 1.0))),
    "Financial Services": (
        0.10,
        (("bank", 0.35, 2.2), ("credit union", 0.35, 0.8), ("insurance", 0.30, 1.8)),
    ),
    "Education": (0.08, (("K-12", 0.5, 0.7), ("higher education", 0.5, 1.6))),
    "Professional Services": (0.07, (("consulting", 0.5, 0.9), ("legal", 0.5, 0.8))),
    "Manufacturing": (0.06, (("discrete", 0.6, 1.3), ("process", 0.4, 1.5))),
    "Retail": (0.05, (("e-commerce", 0.6, 0.9), ("stores", 0.4, 1.1))),
    "Government": (0.04, (("state", 0.5, 2.0), ("local", 0.5, 0.8))),
}

_SUFFIXES = {
    "hospital": ("Hospital", "Medical Center", "Regional Hospital"),
    "health system": ("Health System", "Health"),
    "private practice": ("Family Practice", "Pediatrics", "Dermatology", "Orthopedics", "Medical Group"),
    "home health": ("Home Health", "Home Care"),
    "behavioral health": ("Behavioral Health", "Counseling Center"),
    "urgent care": ("Urgent Care", "Walk-In Clinic"),
    "software": ("Software", "Labs", "Technologies"),
    "IT services": ("IT Services", "Systems"),
    "bank": ("Bank", "Savings Bank"),
    "credit union": ("Credit Union",),
    "insurance": ("Insurance", "Mutual"),
    "K-12": ("School District", "Academy"),
    "higher education": ("University", "College"),
    "consulting": ("Consulting", "Advisors"),
    "legal": ("Law Group", "Legal"),
    "discrete": ("Manufacturing", "Industries"),
    "process": ("Chemicals", "Materials"),
    "e-commerce": ("Outfitters", "Goods"),
    "stores": ("Markets", "Stores"),
    "state": ("State Agency", "Department"),
    "local": ("County", "Township"),
}

_FIRST = """
Blue Cedar Oak Pine Maple Willow Aspen Birch Elm Spruce Silver Golden Red Green North South East
West Summit Harbor River Lake Prairie Meadow Valley Stone Iron Copper Crystal Sunrise Sunset
Evergreen Pioneer Liberty Heritage Unity Bright Clear Fair Grand High Noble Royal Swift True
Wild Coastal Desert Mountain Forest Canyon Riverside Lakeside Hillside Parkside Brook Spring
Autumn Winter Summer Falcon Eagle Hawk Raven Fox Bear Wolf Orchid Rose Lotus Ivy Sage Juniper
Laurel Magnolia Cypress Redwood Sequoia Alder Hazel Rowan Hawthorn Linden Poplar Sycamore
Chestnut Walnut Cherry Granite Marble Slate Amber Jade Onyx Pearl Coral Cobalt Indigo Scarlet
Ember
""".split()
_SECOND = """
Ridge Point Creek Hill Field Grove Park Bridge Crest Haven Gate View Wood Dale Glen Hollow
Springs Falls Rock Shore Meadows Landing Crossing Station Terrace Heights Plains Mesa Bluff Cove
Bend Trail Path Way Square Commons Garden Orchard Vista Peak Pass Basin Harbour Isle Key Reach
Run Ford Mill Well Moor Heath Fen Marsh Brae Knoll Butte Gorge Ledge Cliff Dune Strand Quay
Wharf Pier Lane Row Court Place Circle Hall Manor Lodge Abbey Tower Castle Fort Keep Ward Pointe
Pines Oaks Elms Maples Willows Cedars Birches Aspens Rivers Lakes Valleys Stones Brooks Fields
""".split()

# (city, country, region): once the word pairs run out, names continue as "… of <city>".
_CITIES = tuple(
    tuple(line.split(", "))
    for line in """
Austin, United States, NA
Boston, United States, NA
Denver, United States, NA
Seattle, United States, NA
Chicago, United States, NA
Atlanta, United States, NA
Phoenix, United States, NA
Portland, United States, NA
Nashville, United States, NA
Dallas, United States, NA
Houston, United States, NA
Miami, United States, NA
Orlando, United States, NA
Tampa, United States, NA
Raleigh, United States, NA
Charlotte, United States, NA
Columbus, United States, NA
Detroit, United States, NA
Minneapolis, United States, NA
St. Louis, United States, NA
Kansas City, United States, NA
Omaha, United States, NA
Salt Lake City, United States, NA
Boise, United States, NA
Sacramento, United States, NA
San Diego, United States, NA
Oakland, United States, NA
Tucson, United States, NA
Albuquerque, United States, NA
Richmond, United States, NA
Baltimore, United States, NA
Pittsburgh, United States, NA
Cleveland, United States, NA
Cincinnati, United States, NA
Indianapolis, United States, NA
Milwaukee, United States, NA
Madison, United States, NA
Buffalo, United States, NA
Hartford, United States, NA
Providence, United States, NA
Toronto, Canada, NA
Vancouver, Canada, NA
Montreal, Canada, NA
Calgary, Canada, NA
Ottawa, Canada, NA
Edmonton, Canada, NA
Winnipeg, Canada, NA
Halifax, Canada, NA
Quebec City, Canada, NA
Victoria, Canada, NA
London, United Kingdom, EMEA
Manchester, United Kingdom, EMEA
Leeds, United Kingdom, EMEA
Bristol, United Kingdom, EMEA
Glasgow, United Kingdom, EMEA
Edinburgh, United Kingdom, EMEA
Dublin, Ireland, EMEA
Cork, Ireland, EMEA
Berlin, Germany, EMEA
Munich, Germany, EMEA
Hamburg, Germany, EMEA
Cologne, Germany, EMEA
Frankfurt, Germany, EMEA
Paris, France, EMEA
Lyon, France, EMEA
Marseille, France, EMEA
Amsterdam, Netherlands, EMEA
Rotterdam, Netherlands, EMEA
Utrecht, Netherlands, EMEA
Stockholm, Sweden, EMEA
Gothenburg, Sweden, EMEA
Oslo, Norway, EMEA
Copenhagen, Denmark, EMEA
Helsinki, Finland, EMEA
Madrid, Spain, EMEA
Barcelona, Spain, EMEA
Valencia, Spain, EMEA
Milan, Italy, EMEA
Rome, Italy, EMEA
Zurich, Switzerland, EMEA
Geneva, Switzerland, EMEA
Vienna, Austria, EMEA
Brussels, Belgium, EMEA
Lisbon, Portugal, EMEA
Dubai, United Arab Emirates, EMEA
Sydney, Australia, APAC
Melbourne, Australia, APAC
Brisbane, Australia, APAC
Perth, Australia, APAC
Auckland, New Zealand, APAC
Wellington, New Zealand, APAC
Singapore, Singapore, APAC
Tokyo, Japan, APAC
Osaka, Japan, APAC
Seoul, South Korea, APAC
Bangalore, India, APAC
Mumbai, India, APAC
Hong Kong, Hong Kong, APAC
Manila, Philippines, APAC
Kuala Lumpur, Malaysia, APAC
Sao Paulo, Brazil, LATAM
Rio de Janeiro, Brazil, LATAM
Mexico City, Mexico, LATAM
Guadalajara, Mexico, LATAM
Monterrey, Mexico, LATAM
Bogota, Colombia, LATAM
Medellin, Colombia, LATAM
Santiago, Chile, LATAM
Buenos Aires, Argentina, LATAM
Lima, Peru, LATAM
""".strip().splitlines()
)

_REGION_WEIGHTS = {"NA": 0.55, "EMEA": 0.25, "APAC": 0.12, "LATAM": 0.08}
_REGION_COUNTRIES = {
    "NA": (("United States", 0.85), ("Canada", 0.15)),
    "EMEA": (
        ("United Kingdom", 0.35),
        ("Germany", 0.2),
        ("France", 0.15),
        ("Netherlands", 0.1),
        ("Ireland", 0.1),
        ("Sweden", 0.1),
    ),
    "APAC": (("Australia", 0.45), ("Singapore", 0.2), ("Japan", 0.2), ("New Zealand", 0.15)),
    "LATAM": (("Brazil", 0.5), ("Mexico", 0.35), ("Chile", 0.15)),
}
_USE_CASES = (
    "Scheduling",
    "Billing",
    "Patient engagement",
    "Analytics",
    "Care coordination",
    "Compliance",
    "Reporting",
)


@dataclass(frozen=True)
class DemoWorkspace:
    """The demo's accounts and CS team, as tables shaped like the store's."""

    accounts: pd.DataFrame
    csms: pd.DataFrame
    seed: int
    as_of: date


def demo_team() -> pd.DataFrame:
    """The demo CS team: a VP, three managers, twelve CSMs and a CS ops admin."""
    rows = []
    for number, (csm_id, name, role, region, manager, hours, cost, _) in enumerate(_TEAM, start=1):
        first, last = name.split(" ", 1)
        email = f"{first.lower().replace('é', 'e')}.{last.lower()}@example.com"
        rows.append(
            {
                "id": csm_id,
                "name": name,
                "email": email,
                "slack_user_id": f"UDEMO{number:04d}",
                "role": role,
                "region": region,
                "capacity_hours": float(hours),
                "annual_cost": float(cost),
                "manager": manager,
                "specialties": "Healthcare" if region == "NA" and role == "csm" else None,
                "active": 1,
            }
        )
    return pd.DataFrame(rows)


def demo_workspace(accounts: int = MIN_ACCOUNTS, seed: int = DEFAULT_SEED, as_of: date | None = None) -> DemoWorkspace:
    """Generate the demo workspace; ``as_of`` anchors renewal dates (renewals fall after it)."""
    if not MIN_ACCOUNTS <= accounts <= MAX_ACCOUNTS:
        raise ValueError(f"the demo holds {MIN_ACCOUNTS:,} to {MAX_ACCOUNTS:,} accounts")
    as_of = as_of or date(2026, 1, 1)
    rng = np.random.default_rng(seed)
    n = accounts

    industries = list(_INDUSTRY_SETTINGS)
    industry_p = np.array([_INDUSTRY_SETTINGS[i][0] for i in industries])
    industry = np.array(industries, dtype=object)[rng.choice(len(industries), n, p=industry_p / industry_p.sum())]
    setting = np.empty(n, dtype=object)
    scale = np.ones(n)
    for name in industries:
        rows = np.flatnonzero(industry == name)
        options = _INDUSTRY_SETTINGS[name][1]
        p = np.array([o[1] for o in options])
        pick = rng.choice(len(options), len(rows), p=p / p.sum())
        setting[rows] = np.array([o[0] for o in options], dtype=object)[pick]
        scale[rows] = np.array([o[2] for o in options])[pick]

    # A Pareto (Lomax) tail: most accounts land small, a few percent carry most of the ARR.
    base = 1_800 * (1 + rng.pareto(1.4, n)) * scale * rng.lognormal(0, 0.35, n)
    arr = np.round(np.clip(base, 1_200, 2_400_000), -1)

    names, region, country = _names_and_places(rng, n, setting)
    plan = _plans(rng, arr)
    employees = np.maximum(2, np.round(arr / 700 * rng.lognormal(0, 0.7, n))).astype(np.int64)
    start, renewal = _contract_dates(rng, n, as_of)
    health, health_score, nps = _health(rng, n)
    potential = np.round(arr * (1 + rng.lognormal(-0.4, 0.7, n)), -2)
    use_case = np.array(_USE_CASES, dtype=object)[rng.integers(0, len(_USE_CASES), n)]

    frame = pd.DataFrame(
        {
            "crm_id": [f"ACC-{i:07d}" for i in range(1, n + 1)],
            "name": names,
            "arr": arr,
            "plan": plan,
            "industry": industry,
            "setting": setting,
            "employees": employees.astype(object),
            "region": region,
            "country": country,
            "use_case": use_case,
            "owner": None,
            "health": health,
            "health_score": health_score,
            "nps": nps,
            "renewal_date": renewal,
            "contract_start": start,
            "potential_arr": potential,
            "strategic": 0,
        }
    )
    _place_anchors(frame)
    _mark_strategic(rng, frame)
    _assign_owners(rng, frame)
    _punch_gaps(rng, frame)
    _add_contacts(np.random.default_rng(seed + 1), frame)  # its own stream: the other columns stay as they were
    return DemoWorkspace(accounts=frame, csms=demo_team(), seed=seed, as_of=as_of)


def _names_and_places(
    rng: np.random.Generator, n: int, setting: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    pairs = len(_FIRST) * len(_SECOND)
    plain = min(n, pairs)
    # Unique (first, second[, city]) combinations, so every generated name is unique.
    pair_ids = rng.permutation(pairs)[:plain]
    rest = n - plain
    city_ids = rng.choice(pairs * len(_CITIES), rest, replace=False) if rest else np.array([], dtype=np.int64)
    suffix_pick = rng.random(n)
    names: list[str] = []
    region = np.empty(n, dtype=object)
    country = np.empty(n, dtype=object)
    regions = np.array(list(_REGION_WEIGHTS), dtype=object)
    region_p = np.array(list(_REGION_WEIGHTS.values()))
    region[:plain] = regions[rng.choice(len(regions), plain, p=region_p)]
    for r, choices in _REGION_COUNTRIES.items():
        rows = np.flatnonzero(region[:plain] == r)
        p = np.array([c[1] for c in choices])
        country[rows] = np.array([c[0] for c in choices], dtype=object)[
            rng.choice(len(choices), len(rows), p=p / p.sum())
        ]
    for i in range(n):
        suffixes = _SUFFIXES[setting[i]]
        suffix = suffixes[int(suffix_pick[i] * len(suffixes))]
        if i < plain:
            pair = int(pair_ids[i])
            names.append(f"{_FIRST[pair // len(_SECOND)]} {_SECOND[pair % len(_SECOND)]} {suffix}")
        else:
            combo = int(city_ids[i - plain])
            pair, city = divmod(combo, len(_CITIES))
            city_name, city_country, city_region = _CITIES[city]
            names.append(f"{_FIRST[pair // len(_SECOND)]} {_SECOND[pair % len(_SECOND)]} {suffix} of {city_name}")
            region[i] = city_region
            country[i] = city_country
    return names, region, country


def _plans(rng: np.random.Generator, arr: np.ndarray) -> np.ndarray:
    plans = np.array(["Starter", "Growth", "Professional", "Enterprise"], dtype=object)
    level = np.digitize(arr, [6_000, 30_000, 120_000])
    # One account in ten sits a plan above or below what its ARR suggests.
    nudge = rng.choice([-1, 0, 1], len(arr), p=[0.05, 0.9, 0.05])
    return plans[np.clip(level + nudge, 0, 3)]


def _contract_dates(rng: np.random.Generator, n: int, as_of: date) -> tuple[np.ndarray, np.ndarray]:
    anchor = np.datetime64(as_of.isoformat())
    start = anchor - rng.integers(30, 5 * 365, n).astype("timedelta64[D]")
    starts = pd.DatetimeIndex(start)
    year = np.full(n, as_of.year)
    month = starts.month.to_numpy()
    day = np.minimum(starts.day.to_numpy(), np.where(month == 2, 28, 31))
    day = np.where(np.isin(month, [4, 6, 9, 11]), np.minimum(day, 30), day)
    this_year = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}))
    passed = (this_year <= pd.Timestamp(as_of)).to_numpy()
    renewal = pd.to_datetime(pd.DataFrame({"year": year + passed, "month": month, "day": day}))
    return starts.strftime("%Y-%m-%d").to_numpy(dtype=object), renewal.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)


def _health(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    colours = np.array(["green", "yellow", "red"], dtype=object)
    pick = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    low = np.array([70, 40, 5])[pick]
    high = np.array([100, 70, 40])[pick]
    score = rng.integers(low, high).astype(float)
    nps_low = np.array([30, -10, -60])[pick]
    nps_high = np.array([81, 41, 11])[pick]
    nps = rng.integers(nps_low, nps_high).astype(float)
    return colours[pick], score, nps


def _place_anchors(frame: pd.DataFrame) -> None:
    for i, (name, industry, setting, region, country, arr, strategic) in enumerate(_ANCHORS):
        frame.loc[i, ["name", "industry", "setting", "region", "country", "arr", "strategic"]] = [
            name,
            industry,
            setting,
            region,
            country,
            float(arr),
            strategic,
        ]
        frame.loc[i, "plan"] = "Enterprise" if arr >= 120_000 else "Professional" if arr >= 30_000 else "Growth"
        frame.loc[i, "potential_arr"] = float(round(arr * 1.4, -2))
        frame.loc[i, "employees"] = int(arr // 450)


def _mark_strategic(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    top = frame["arr"].rank(ascending=False, method="first") <= max(10, len(frame) // 100)
    chosen = top & (rng.random(len(frame)) < 0.3)
    frame.loc[chosen, "strategic"] = 1


def _assign_owners(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    csms = [t for t in _TEAM if t[2] == "csm"]
    owner = np.empty(len(frame), dtype=object)
    for region in _REGION_WEIGHTS:
        rows = np.flatnonzero(frame["region"].to_numpy() == region)
        team = [t for t in csms if t[3] == region]
        weights = np.array([t[7] for t in team])
        owner[rows] = np.array([t[0] for t in team], dtype=object)[
            rng.choice(len(team), len(rows), p=weights / weights.sum())
        ]
    # A few accounts nobody owns: the ones a territory plan must pick up.
    unowned = rng.random(len(frame)) < 0.015
    unowned[: len(_ANCHORS)] = False
    if unowned.sum() < 3:
        unowned[len(_ANCHORS) : len(_ANCHORS) + 3] = True
    owner[unowned] = None
    frame["owner"] = owner


_CONTACT_FIRST = """
Alex Amara Ana Ben Björn Carla Chiara Dana Diego Elena Emma Fatima Felix François Grace Hana Ines
Jamal José Julia Kai Lars Leila Lucía Maya Mei Mateo Nadia Noah Olivia Omar Priya Rafael Renée
Sofia Søren Tariq Yara Zoë Zoltán
""".split()
_CONTACT_LAST = """
Adams Baker Becker Costa Dubois Evans Fischer García Hansen Ito Jensen Khan Kowalski Lee López
Martin Müller Novak Okafor Olsen Park Rossi Santos Schmidt Silva Tanaka Walsh Wang Weber Young
""".split()


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _add_contacts(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    """Each account's main contact (some blank, as in real CRMs), with an email on its own domain."""
    n = len(frame)
    first = np.array(_CONTACT_FIRST, dtype=object)[rng.integers(0, len(_CONTACT_FIRST), n)]
    last = np.array(_CONTACT_LAST, dtype=object)[rng.integers(0, len(_CONTACT_LAST), n)]
    domains = ["".join(_ascii(w) for w in str(name).split()[:2]) + ".example" for name in frame["name"]]
    frame["contact_name"] = [f"{f} {la}" for f, la in zip(first, last, strict=True)]
    frame["contact_email"] = [f"{_ascii(f)}.{_ascii(la)}@{d}" for f, la, d in zip(first, last, domains, strict=True)]
    blank = (rng.random(n) < 0.04) & (np.arange(n) >= len(_ANCHORS))
    frame.loc[blank, ["contact_name", "contact_email"]] = None


def _punch_gaps(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    gaps = {
        "industry": 0.02,
        "employees": 0.07,
        "potential_arr": 0.12,
        "renewal_date": 0.01,
        "use_case": 0.05,
        "health": 0.03,
        "nps": 0.2,
    }
    protected = np.arange(len(frame)) < len(_ANCHORS)
    for column, share in gaps.items():
        blank = (rng.random(len(frame)) < share) & ~protected
        frame.loc[blank, column] = None
        if column == "industry":
            frame.loc[blank, "setting"] = None
        if column == "health":
            frame.loc[blank, "health_score"] = np.nan
