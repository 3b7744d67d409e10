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

_REGION_ALIASES = {
    "north america": "NA",
    "amer": "NA",
    "americas": "NA",
    "us": "NA",
    "usa": "NA",
    "europe": "EMEA",
    "europe middle east africa": "EMEA",
    "europe middle east and africa": "EMEA",
    "eu": "EMEA",
    "emea": "EMEA",
    "asia": "APAC",
    "asia pacific": "APAC",
    "apj": "APAC",
    "apac": "APAC",
    "latin america": "LATAM",
    "south america": "LATAM",
    "latam": "LATAM",
    "na": "NA",
}

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

_ROLE_ALIASES = {
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
            synonyms=("plan", "subscription plan", "product plan", "pricing plan", "edition"),
            vocabulary=PLANS,
            used_by=("plan tier rules",),
        ),
        Field(
            "industry",
            "category",
            "Industry",
            "The account's industry.",
            synonyms=("industry", "industry type", "primary industry"),
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
            value_aliases=MappingProxyType(_REGION_ALIASES),
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
            synonyms=("health score", "healthscore", "customer health score"),
            minimum=0,
            maximum=100,
            used_by=("health-score tier rules",),
        ),
        Field(
            "nps",
            "number",
            "NPS",
            "Net promoter score, -100 to 100.",
            synonyms=("nps", "nps score", "net promoter score"),
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
            value_aliases=MappingProxyType(_ROLE_ALIASES),
            used_by=("roles in Slack",),
        ),
        Field(
            "region",
            "category",
            "Region",
            "The region the CSM covers.",
            synonyms=("region", "territory", "geo"),
            vocabulary=REGIONS,
            value_aliases=MappingProxyType(_REGION_ALIASES),
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
