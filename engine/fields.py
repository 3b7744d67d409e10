"""The typed vocabulary of the tables people import: accounts and the CSM roster.

Each field knows its kind (how its cells are read), the header spellings CRMs use for it, its
valid range, and which later steps need it (so ``tierbot gaps`` can say what a blank blocks).
The vocabulary is data: help text, Slack selects and prompts all read it from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# How cells of each kind are read; see engine.normalize.
KINDS = (
    "id",  # text identifier, kept verbatim
    "text",  # free text, trimmed
    "money",  # currency text -> float
    "number",  # plain number -> float
    "integer",  # whole number -> int
    "date",  # many spellings -> ISO YYYY-MM-DD
    "flag",  # TRUE/Yes/1/x -> 1, FALSE/No/0/blank -> 0
    "category",  # a small set of values; case and typos normalised against known values
    "country",  # a country name or code -> the country's common English name
    "health",  # green / yellow / red (numbers are scores 0-100)
    "person",  # a reference to a CSM by id, email or name
    "email",  # an email address
    "slack_user",  # a Slack member id (U…/W…)
    "list",  # comma- or semicolon-separated values
)


@dataclass(frozen=True)
class Field:
    """One column of an importable table."""

    name: str
    kind: str
    label: str
    description: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    used_by: tuple[str, ...] = ()
    vocabulary: tuple[str, ...] = ()
    closed: bool = False  # only the vocabulary is allowed (roles), not new values
    default: object = None  # what a blank cell means, for fields that cannot be blank
    # Spellings people use for a known value, by header_key: {"north america": "NA"}.
    value_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Stored as the file writes it (regions): known values are recognised, never respelt.
    keep_as_written: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class TableSpec:
    """An importable table: its fields and how rows are identified."""

    table: str
    noun: str
    fields: tuple[Field, ...]
    id_field: str
    name_field: str
    # Headers tierbot writes itself (the export's Tier column) and skips on import.
    output_headers: tuple[str, ...] = ()
    # Header spellings of a name's first and last parts, joined when the file has no name column.
    name_parts: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(text: str) -> str:
    """Reduce a header (or a category value) to the form synonyms are compared in.

    Case, spacing, punctuation, camelCase and Salesforce's ``__c`` suffix do not matter:
    ``" Annual Recurring Revenue "``, ``"ARR (USD)"`` and ``"Renewal_Date__c"`` become
    ``"annual recurring revenue"``, ``"arr usd"`` and ``"renewal date"``.
    """
    text = text.strip()
    text = re.sub(r"__c$", "", text)
    text = _CAMEL.sub(" ", text)
    return _NOT_ALNUM.sub(" ", text.lower()).strip()


INDUSTRIES = (
    "Healthcare",
    "Technology",
    "Financial Services",
    "Education",
    "Manufacturing",
    "Retail",
    "Professional Services",
    "Government",
    "Nonprofit",
    "Media",
    "Real Estate",
    "Transportation",
    "Energy",
    "Hospitality",
    "Telecommunications",
    "Life Sciences",
    "Insurance",
    "Construction",
    "Agriculture",
)

REGIONS = ("NA", "EMEA", "APAC", "LATAM")

# Region values that can only mean one of tierbot's regions: the region's other names and places
# inside it. Regions are stored as the file writes them; rules and guardrails read these as the
# region they name (``region: {in: [NA]}`` holds for "North America"). Nothing else is mapped.
REGION_SYNONYMS: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(
            ("na", "north america", "n america", "noram", "nam", "us", "usa", "united states", "us canada"), "NA"
        ),
        **dict.fromkeys(
            (
                "emea",
                "europe middle east africa",
                "europe middle east and africa",
                "europe",
                "eu",
                "uk",
                "uki",
                "uk i",
                "dach",
                "nordics",
                "benelux",
                "mea",
                "middle east",
                "africa",
            ),
            "EMEA",
        ),
        **dict.fromkeys(
            (
                "apac",
                "asia pacific",
                "asia pac",
                "asia pacific japan",
                "apj",
                "japac",
                "anz",
                "oceania",
                "southeast asia",
                "south east asia",
            ),
            "APAC",
        ),
        **dict.fromkeys(("latam", "latin america", "south america", "central america", "lac"), "LATAM"),
    }
)
# Region values wider than one of tierbot's regions: kept as written and never read as either.
BROAD_REGIONS: Mapping[str, str] = MappingProxyType(
    {"amer": "NA and LATAM", "americas": "NA and LATAM", "the americas": "NA and LATAM", "global": "every region"}
)


def region_of(value: str | None) -> str | None:
    """The region (NA, EMEA, APAC, LATAM) a region value can only mean, or None."""
    if value is None:
        return None
    return REGION_SYNONYMS.get(header_key(str(value)))


def text_matches(field_name: str, read: str, wanted: str) -> bool:
    """Whether a text value read from an account equals a rule's value: case ignored, and for
    regions, a value that can only mean the rule's region counts as it ("North America" is NA)."""
    if read.lower() == wanted.lower():
        return True
    if field_name != "region" or wanted.upper() not in REGIONS:
        return False
    return region_of(read) == wanted.upper()


HEALTH_VALUES = ("green", "yellow", "red")

_HEALTH_ALIASES = {
    "green": "green",
    "good": "green",
    "healthy": "green",
    "strong": "green",
    "yellow": "yellow",
    "amber": "yellow",
    "orange": "yellow",
    "neutral": "yellow",
    "fair": "yellow",
    "medium": "yellow",
    "at risk": "yellow",
    "watch": "yellow",
    "red": "red",
    "poor": "red",
    "bad": "red",
    "critical": "red",
    "unhealthy": "red",
    "churn risk": "red",
    "high risk": "red",
}

# Score thresholds used when a health column holds numbers (0-100).
HEALTH_SCORE_GREEN = 70.0
HEALTH_SCORE_YELLOW = 40.0

ROLES = ("csm", "manager", "leader", "admin")

ROLE_ALIASES = {
    "csm": "csm",
    "customer success manager": "csm",
    "customer success": "csm",
    "account manager": "csm",
    "am": "csm",
    "tam": "csm",
    "manager": "manager",
    "cs manager": "manager",
    "csm manager": "manager",
    "team lead": "manager",
    "team leader": "manager",
    "leader": "leader",
    "vp": "leader",
    "vp cs": "leader",
    "vp customer success": "leader",
    "director": "leader",
    "head of cs": "leader",
    "head of customer success": "leader",
    "cco": "leader",
    "admin": "admin",
    "cs ops": "admin",
    "cs operations": "admin",
    "ops": "admin",
    "revops": "admin",
}

PLANS = ("Starter", "Growth", "Professional", "Enterprise")

ACCOUNT_FIELDS = TableSpec(
    table="accounts",
    noun="account",
    id_field="crm_id",
    name_field="name",
    output_headers=("tier",),
    fields=(
        Field(
            "crm_id",
            "id",
            "CRM id",
            "The account's id in the CRM; re-imports match on it.",
            # Most specific first: with both "Id" and "Account ID" in a file, "Account ID" wins.
            synonyms=(
                "crm id",
                "account id",
                "account 18 digit id",
                "account id 18",
                "salesforce id",
                "sfdc id",
                "hubspot id",
                "record id",
                "company id",
                "customer id",
                "account number",
                "id",
                # A company's own id in a custom field: an id when the file has no better one.
                "external id",
            ),
            used_by=("re-imports", "export back to the CRM"),
        ),
        Field(
            "name",
            "text",
            "Name",
            "The account's name.",
            synonyms=(
                "account name",
                "company name",
                "customer name",
                "organization name",
                "organisation name",
                "name",
                "account",
                "company",
                "customer",
                "organization",
                "organisation",
            ),
            used_by=("finding the account by name",),
        ),
        Field(
            "arr",
            "money",
            "ARR",
            "Annual recurring revenue, per year.",
            synonyms=(
                "arr",
                "arr usd",
                "annual recurring revenue",
                "annual recurring revenue usd",
                "current arr",
                "total arr",
                "arr amount",
                "recurring revenue",
                "annualized recurring revenue",
            ),
            required=True,
            minimum=0,
            maximum=1e11,
            used_by=("ARR tiering", "proposed thresholds"),
        ),
        Field(
            "plan",
            "category",
            "Plan",
            "The subscription plan or edition.",
            synonyms=("plan", "subscription plan", "product plan", "pricing plan", "edition", "plan tier"),
            vocabulary=PLANS,
            used_by=("plan tier rules",),
        ),
        Field(
            "industry",
            "category",
            "Industry",
            "The account's industry.",
            synonyms=("industry", "industry type", "primary industry", "sector", "industry sector"),
            vocabulary=INDUSTRIES,
            used_by=("industry tier rules", "the specialty guardrail on handoffs"),
        ),
        Field(
            "setting",
            "category",
            "Setting",
            "Setting or vertical within the industry (hospital, private practice, home health…).",
            synonyms=("setting", "care setting", "vertical", "sub industry", "subindustry"),
            used_by=("sub-segment tier rules (e.g. by setting, then ARR)",),
        ),
        Field(
            "employees",
            "integer",
            "Employees",
            "Number of employees.",
            synonyms=(
                "employees",
                "number of employees",
                "no of employees",
                "num employees",
                "employee count",
                "headcount",
            ),
            minimum=0,
            maximum=1e8,
            used_by=("company-size tier rules",),
        ),
        Field(
            "region",
            "category",
            "Region",
            "Sales region (NA, EMEA, APAC, LATAM or your own).",
            synonyms=("region", "sales region", "geo", "geography", "account region"),
            vocabulary=REGIONS,
            keep_as_written=True,
            used_by=("region tier rules", "the region guardrail on handoffs"),
        ),
        Field(
            "country",
            "country",
            "Country",
            "Country of the account (name or ISO code).",
            synonyms=(
                "country",
                "billing country",
                "shipping country",
                "mailing country",
                "country region",
                "hq country",
                "country code",
                "office location",
            ),
            used_by=("country tier rules",),
        ),
        Field(
            "use_case",
            "category",
            "Use case",
            "The account's primary use case.",
            synonyms=("use case", "primary use case", "usecase", "main use case"),
            used_by=("use-case tier rules",),
        ),
        Field(
            "owner",
            "person",
            "Owner (CSM)",
            "The CSM who owns the account: roster id, email or name.",
            synonyms=(
                "owner",
                "account owner",
                "csm",
                "csm name",
                "csm email",
                "customer success manager",
                "cs owner",
                "csm owner",
                "company owner",
                "success manager",
                "assigned csm",
                "owner id",
            ),
            used_by=("handoffs", "App Home books", "hours per account in the workload summary"),
        ),
        Field(
            "health",
            "health",
            "Health",
            "Health as green / yellow / red (numbers are read as a 0-100 score).",
            synonyms=("health", "health status", "customer health", "health color", "health rag"),
            vocabulary=HEALTH_VALUES,
            value_aliases=MappingProxyType(_HEALTH_ALIASES),
            used_by=("red-health guardrail on handoffs", "health tier rules"),
        ),
        Field(
            "health_score",
            "number",
            "Health score",
            "Health score from 0 to 100.",
            synonyms=("health score", "healthscore", "customer health score", "account health score"),
            minimum=0,
            maximum=100,
            used_by=("health-score tier rules",),
        ),
        Field(
            "nps",
            "number",
            "NPS",
            "Net promoter score, -100 to 100.",
            synonyms=("nps", "nps score", "net promoter score", "avg nps score", "average nps score", "avg nps"),
            minimum=-100,
            maximum=100,
            used_by=("NPS tier rules",),
        ),
        Field(
            "renewal_date",
            "date",
            "Renewal date",
            "Next renewal date.",
            synonyms=(
                "renewal date",
                "renewal",
                "next renewal date",
                "next renewal",
                "contract end date",
                "contract end",
                "subscription end date",
                "renews on",
                "end date",
            ),
            used_by=("renewal guardrails on handoffs", "days-to-renewal rules", "renewals in App Home"),
        ),
        Field(
            "contract_start",
            "date",
            "Contract start",
            "When the customer's contract started.",
            synonyms=(
                "contract start",
                "contract start date",
                "start date",
                "customer since",
                "subscription start date",
            ),
            used_by=("contract-start tier rules",),
        ),
        Field(
            "potential_arr",
            "money",
            "Potential ARR",
            "Expected ARR at full expansion (land-and-expand), per year.",
            synonyms=(
                "potential arr",
                "expected arr",
                "arr potential",
                "target arr",
                "expansion potential",
                "potential",
            ),
            minimum=0,
            maximum=1e11,
            used_by=("tiering on expected ARR for land-and-expand accounts",),
        ),
        Field(
            "strategic",
            "flag",
            "Strategic",
            "Designated strategic account (TRUE/FALSE).",
            synonyms=("strategic", "strategic account", "is strategic", "key account", "strategic flag"),
            default=0,
            used_by=("strategic tier rules",),
        ),
        Field(
            "contact_name",
            "text",
            "Contact name",
            "The customer's main contact, whom a handoff note is addressed to.",
            synonyms=(
                "contact name",
                "contact",
                "primary contact",
                "main contact",
                "champion",
                "key contact",
                "primary contact name",
            ),
            used_by=("customer transition notes",),
        ),
        Field(
            "contact_email",
            "email",
            "Contact email",
            "The main contact's email address.",
            synonyms=(
                "contact email",
                "primary contact email",
                "champion email",
                "contact e mail",
                "main contact email",
            ),
            used_by=("customer transition notes (.eml)",),
        ),
    ),
)

CSM_FIELDS = TableSpec(
    table="csms",
    noun="CSM",
    id_field="id",
    name_field="name",
    name_parts=(("first name", "given name", "firstname"), ("last name", "surname", "family name", "lastname")),
    fields=(
        Field(
            "id",
            "id",
            "Id",
            "The CSM's id; accounts' owner column refers to it.",
            synonyms=("csm id", "employee id", "employee number", "user id", "owner id", "id"),
            used_by=("account owners", "re-imports"),
        ),
        Field(
            "name",
            "text",
            "Name",
            "Full name.",
            synonyms=("full name", "csm name", "employee name", "name", "csm", "employee"),
            used_by=("messages and App Home",),
        ),
        Field(
            "title",
            "text",
            "Title",
            "Job title, as the customer note signs it (and the role, when the file has no role column).",
            synonyms=("title", "job title", "position", "job role"),
            used_by=("customer transition notes",),
        ),
        Field(
            "email",
            "email",
            "Email",
            "Work email.",
            synonyms=("email", "email address", "work email", "e mail"),
            used_by=("matching account owners", "handoff notes"),
        ),
        Field(
            "slack_user_id",
            "slack_user",
            "Slack user id",
            "Slack member id, like U024BE7LH.",
            synonyms=("slack user id", "slack id", "slack member id", "slack", "member id", "slack user"),
            used_by=("Slack DMs and roles",),
        ),
        Field(
            "role",
            "category",
            "Role",
            "csm, manager, leader or admin.",
            synonyms=("role", "tierbot role", "access role"),
            vocabulary=ROLES,
            closed=True,
            default="csm",
            value_aliases=MappingProxyType(ROLE_ALIASES),
            used_by=("roles in Slack",),
        ),
        Field(
            "region",
            "category",
            "Region",
            "The region the CSM covers.",
            synonyms=("region", "territory", "geo", "regional office"),
            vocabulary=REGIONS,
            keep_as_written=True,
            used_by=("the region guardrail on handoffs",),
        ),
        Field(
            "capacity_hours",
            "number",
            "Capacity (hours/week)",
            "Hours per week available for customer work.",
            synonyms=(
                "capacity hours",
                "capacity",
                "weekly capacity",
                "hours per week",
                "weekly hours",
                "capacity hours week",
                "capacity hrs",
                "weekly capacity hours",
                "capacity hours per week",
                "available hours",
            ),
            minimum=0,
            maximum=168,
            used_by=(),  # read by nothing yet: the workload estimate carries the capacity
        ),
        Field(
            "annual_cost",
            "money",
            "Annual cost",
            "Fully-loaded cost per year.",
            synonyms=("annual cost", "fully loaded cost", "loaded cost", "cost", "annual loaded cost"),
            minimum=0,
            maximum=1e8,
            used_by=(),  # read by nothing yet
        ),
        Field(
            "manager",
            "person",
            "Manager",
            "The CSM's manager: roster id, email or name.",
            synonyms=("manager", "reports to", "manager email", "manager name", "line manager"),
            used_by=("handoff approvals",),
        ),
        Field(
            "specialties",
            "list",
            "Specialties",
            "Segments or skills, separated by commas or semicolons.",
            synonyms=("specialties", "specialities", "skills", "specialty"),
            used_by=("the specialty guardrail on handoffs",),
        ),
        Field(
            "active",
            "flag",
            "Active",
            "Whether the CSM takes accounts (TRUE/FALSE; blank means active).",
            synonyms=("active", "is active", "status", "enabled"),
            default=1,
            used_by=("handoffs (who can take accounts)", "workload survey rounds"),
        ),
    ),
)

TABLE_SPECS = {spec.table: spec for spec in (ACCOUNT_FIELDS, CSM_FIELDS)}


def describe_fields(spec: TableSpec) -> list[dict[str, object]]:
    """Export a table's vocabulary as plain data for help text, Slack selects and prompts."""
    return [
        {
            "name": f.name,
            "kind": f.kind,
            "label": f.label,
            "description": f.description,
            "required": f.required,
            "header_spellings": list(f.synonyms),
            "known_values": list(f.vocabulary),
            "used_by": list(f.used_by),
        }
        for f in spec.fields
    ]
