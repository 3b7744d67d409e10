"""Rule sets as versioned data: load, export, list, activate, compare, propose, simulate, and
render for the CRM."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from engine.decisions import columns_needed
from engine.errors import FileRefused, InputError, UnknownName
from engine.fields import region_of, text_matches
from engine.formula import FIELD_TYPES, SALESFORCE_FIELDS, Formula, salesforce_formula
from engine.matching import did_you_mean
from engine.rule_diff import RuleSetDiff, diff_rule_sets
from engine.rules import MAX_RULES, RULE_FIELDS, TEXT, RuleProblem, RuleSet, comparisons_of, parse_rule_set, to_document
from store import Store, audit, imports, records
from store import rules as stored_rules
from store import tiers as stored_tiers
from store.audit import AuditEntry
from store.rules import Activation, StoredRuleSet
from workflows.books import keep_ranks_current
from workflows.clock import Clock, timestamp, today
from workflows.outbox import Effects, record_effects
from workflows.outputs import check_output, write_bytes_atomically, write_table_atomically

if TYPE_CHECKING:  # the bulk path (pandas) loads only when a proposal or a what-if runs
    from engine.proposals import BandShare, TierRow
    from engine.simulation import Simulation
    from workflows.books import BookCache


class NoActiveRuleSet(InputError):
    """No rule set is active (or none was on the date asked)."""


# ---------------------------------------------------------------------------------- reading and writing


class _RuleSetLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML's safe loader (libyaml's C one where available) that refuses duplicate keys: a
    second `arr:` in one mapping would otherwise silently replace the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f'`{key}` appears twice in one mapping (write a range as {{arr: {{">=": 25000, "<": 150000}}}})',
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_ANCHOR_NAME = re.compile(r"[^\s,\[\]{}]+")
_ANCHOR_CONTEXTS = {"while scanning an anchor": "&", "while scanning an alias": "*"}


def _refuse_anchors(text: str, source: str) -> None:
    """Refuse anchors and aliases in any spelling, from YAML's own tokens, before anything is built:
    an alias repeats a whole subtree, so 14 lines can describe billions of comparisons."""
    found: tuple[str, str, int] | None = None
    try:
        for token in yaml.scan(text, Loader=_RuleSetLoader):
            if isinstance(token, yaml.AnchorToken | yaml.AliasToken):
                sign = "&" if isinstance(token, yaml.AnchorToken) else "*"
                found = (sign, sign + str(token.value), token.start_mark.line)
                break
    except yaml.YAMLError as exc:
        # YAML refuses names outside [A-Za-z0-9_-] (`&a.b`, `&ä`): still an anchor, said as one.
        refused = _ANCHOR_CONTEXTS.get(str(getattr(exc, "context", "") or ""))
        mark = getattr(exc, "context_mark", None)
        if refused is None or mark is None:
            return  # another YAML error: loading reports it with its line
        lines = text.splitlines()
        name = _ANCHOR_NAME.match(lines[mark.line] if mark.line < len(lines) else "", mark.column)
        found = (refused, name.group(0) if name else refused, mark.line)
    if found is not None:
        sign, shown, line_number = found
        kind = "anchor" if sign == "&" else "alias"
        raise InputError(
            f"{source} uses YAML anchors or aliases (the {kind} `{shown}` on line {line_number + 1}): rule files "
            "allow no &name or *name, so write each condition out instead."
        )


MAX_FILE_BYTES = 1_000_000


def _check_size(size: int, source: str) -> None:
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{source} is {size / 1_000_000:.1f} MB; a rule file may be at most {MAX_FILE_BYTES // 1_000_000} MB "
            f"(and {MAX_RULES:,} rules): is it the right file?"
        )


def parse_yaml(text: str, source: str) -> tuple[RuleSet, list[RuleProblem]]:
    """A rule set from its YAML text; every error listed."""
    _check_size(len(text.encode("utf-8")), source)
    _refuse_anchors(text, source)
    try:
        document = yaml.load(text, Loader=_RuleSetLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{source} is not valid YAML{where}: {problem}. Fix the file and load it again.") from None
    except ValueError as exc:
        # YAML's own date reading: an unquoted 2027-02-30 is not a date.
        raise InputError(f"{source} has a value YAML cannot read ({exc}): check the dates.") from None
    return parse_rule_set(document, source)


class _Flow(dict):
    """A mapping YAML writes on one line: each rule's condition, as people write it."""


class _RuleSetDumper(yaml.SafeDumper):
    """YAML's safe dumper, taught the two one-line shapes above (registered below)."""


_RuleSetDumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def to_yaml(rule_set: RuleSet) -> str:
    """The rule set in its exchange format: one block per rule, its condition on one line."""
    document = to_document(rule_set)
    document["tiers"] = _FlowList(document["tiers"])
    for rule in document["rules"]:
        if "when" in rule:
            rule["when"] = _Flow(rule["when"])
    return yaml.dump(document, Dumper=_RuleSetDumper, sort_keys=False, allow_unicode=True, width=120)


class _FlowList(list):
    """A list YAML writes on one line (the tiers)."""


_RuleSetDumper.add_representer(
    _FlowList, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)


def rule_set_named(store: Store, name: str) -> tuple[StoredRuleSet, RuleSet]:
    """A stored rule set by name, parsed."""
    stored = stored_rules.get(store, name)
    if stored is None:
        names = [r.name for r in stored_rules.all_rule_sets(store)]
        hint = next((n for n in names if n.startswith(name)), None) or did_you_mean(name, names)
        listing = f" Rule sets: {', '.join(names)}." if names else " None is stored yet: `tierbot rules load FILE.yml`."
        raise UnknownName(
            f"There is no rule set `{name}`" + (f"; did you mean `{hint}`?" if hint else ".") + listing,
            name,
            hint,
        )
    rule_set, _ = parse_yaml(stored.definition, f"Rule set {name}")
    return stored, rule_set


def active_rule_set(store: Store) -> tuple[StoredRuleSet, RuleSet]:
    stored = stored_rules.active(store)
    if stored is None:
        raise NoActiveRuleSet(
            "No rule set is active yet: load one with `tierbot rules load FILE.yml` (or start from "
            "`tierbot rules propose --by arr-share --bands 15,40`), then `tierbot rules activate NAME`."
        )
    return rule_set_named(store, stored.name)


def rule_set_on(store: Store, day: date) -> tuple[RuleSet, Activation]:
    """The rule set in effect on ``day``: the latest activation effective on or before it."""
    history = stored_rules.activations(store)
    in_effect = [a for a in history if a.effective_date <= day.isoformat()]
    if not in_effect:
        first = f" (the first took effect on {history[0].effective_date})" if history else ""
        raise NoActiveRuleSet(f"No rule set was in effect on {day.isoformat()}{first}.")
    activation = in_effect[-1]
    return rule_set_named(store, activation.rule_set)[1], activation


def previous_rule_set(store: Store, current: Activation) -> tuple[RuleSet, Activation] | None:
    """The rule set that was in effect before the activation ``current``."""
    history = stored_rules.activations(store)
    position = next((i for i, a in enumerate(history) if a.id == current.id), len(history))
    for activation in reversed(history[:position]):
        if activation.rule_set != current.rule_set:
            return rule_set_named(store, activation.rule_set)[1], activation
    return None


# ---------------------------------------------------------------------------------- load, list, activate


@dataclass(frozen=True)
class LoadReport:
    """A rule set stored as a draft, and what to know about it."""

    name: str
    replaced: bool
    tiers: tuple[str, ...]
    rules: int
    warnings: tuple[str, ...]


def _value_warnings(store: Store, rule_set: RuleSet) -> list[str]:
    """Text values no account has: usually a typo ("NAA" for "NA")."""
    warnings = []
    for position, rule in enumerate(rule_set.rules, start=1):
        if rule.when is None:
            continue
        for test in comparisons_of(rule.when):
            if RULE_FIELDS[test.field].kind != TEXT or test.op == "empty" or test.field in ("name", "crm_id"):
                continue
            known = records.distinct_values(store, "accounts", test.field)
            if not known:
                continue
            lowered = {k.lower(): k for k in known}
            for value in test.value if isinstance(test.value, tuple) else (test.value,):
                if str(value).lower() not in lowered and not any(
                    text_matches(test.field, k, str(value)) for k in known
                ):
                    hint = did_you_mean(str(value), known)
                    warnings.append(
                        f"rule {position} ({rule.title}): no account has {test.field} `{value}`"
                        + (f"; did you mean `{hint}`?" if hint else "")
                    )
    return warnings


def store_rule_set(
    store: Store, rule_set: RuleSet, warnings: list[str], *, source: str, actor: str, clock: Clock
) -> LoadReport:
    """Store a checked rule set as a draft (replacing a draft of the same name)."""
    existing = stored_rules.get(store, rule_set.name)
    if existing is not None and existing.state != "draft":
        raise InputError(
            f"`{rule_set.name}` is {existing.state}, so it cannot change: give your edit a new name "
            f"(e.g. {rule_set.name}-v2), load it, simulate it, then activate it."
        )
    at = timestamp(clock)
    definition = to_yaml(rule_set)
    with store.transaction():
        stored_rules.save(
            store,
            StoredRuleSet(
                name=rule_set.name,
                description=rule_set.description,
                state="draft",
                definition=definition,
                source=source,
                created_at=existing.created_at if existing else at,
                created_by=existing.created_by if existing else actor,
                updated_at=at,
                updated_by=actor,
            ),
        )
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "rules.load",
                    f"rule_set:{rule_set.name}",
                    {"definition": existing.definition} if existing else None,
                    {"definition": definition, "source": source},
                )
            ],
        )
    return LoadReport(rule_set.name, existing is not None, rule_set.tiers, len(rule_set.rules), tuple(warnings))


def load_rule_set(store: Store, path: Path, *, actor: str, clock: Clock) -> LoadReport:
    """Check a YAML file and store it as a draft; a file with errors is refused whole."""
    try:
        _check_size(path.stat().st_size, path.name)  # before reading: a huge file never reaches memory
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileRefused(f"There is no file at {path}. Check the path.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FileRefused(f"Cannot read {path}: {exc}.") from None
    rule_set, problems = parse_yaml(text, path.name)
    warnings = [str(p) for p in problems] + _value_warnings(store, rule_set)
    return store_rule_set(store, rule_set, warnings, source=path.name, actor=actor, clock=clock)


def export_rule_set(store: Store, name: str) -> str:
    """The stored rule set as YAML, ready to edit and load again."""
    return rule_set_named(store, name)[0].definition


@dataclass(frozen=True)
class RuleSetInfo:
    """One rule set in the list."""

    name: str
    state: str
    description: str
    tiers: tuple[str, ...]
    rules: int
    updated_at: str
    updated_by: str
    in_effect_since: str | None


def list_rule_sets(store: Store) -> RuleSetList:
    """Every rule set, the active one first."""
    effective: dict[str, str] = {}
    for activation in stored_rules.activations(store):
        effective[activation.rule_set] = activation.effective_date
    infos = []
    for stored in stored_rules.all_rule_sets(store):
        rule_set, _ = parse_yaml(stored.definition, stored.name)
        infos.append(
            RuleSetInfo(
                name=stored.name,
                state=stored.state,
                description=stored.description,
                tiers=rule_set.tiers,
                rules=len(rule_set.rules),
                updated_at=stored.updated_at,
                updated_by=stored.updated_by,
                in_effect_since=effective.get(stored.name) if stored.state == "active" else None,
            )
        )
    return RuleSetList(tuple(infos))


@dataclass(frozen=True)
class ActivationReport:
    name: str
    previous: str | None
    effective_date: str
    actor: str
    stray_overrides: tuple[str, ...] = ()  # overrides naming tiers this rule set does not have


def activate_rule_set(
    store: Store,
    name: str,
    *,
    actor: str,
    clock: Clock,
    effective: date | None = None,
    fingerprint: str | None = None,
    then: Effects | None = None,
) -> ActivationReport:
    """Make ``name`` the active rule set (the one active before is archived); record who and when.

    ``effective`` backdates the activation (for the record of what applied when); it cannot be
    in the future. ``fingerprint`` (from a what-if) refuses a rule set that changed since.
    ``then`` gives what must follow (tiering the book again, saying so), recorded with it.
    """
    stored, rule_set = rule_set_named(store, name)
    day = effective or today(clock)
    if day > today(clock):
        raise InputError(f"--effective {day.isoformat()} is in the future: activate the rule set on that day instead.")
    if stored.state == "active":
        raise InputError(f"`{name}` is already the active rule set.")
    history = stored_rules.activations(store)
    if history and day.isoformat() < history[-1].effective_date:
        raise InputError(
            f"--effective {day.isoformat()} is before {history[-1].effective_date}, when "
            f"{history[-1].rule_set} took effect: a rule set cannot take effect before the one it replaces."
        )
    at = timestamp(clock)
    with store.transaction():
        current = stored_rules.active(store)
        if current is not None and current.name == name:
            # Checked again under the write lock: two clicks at once activate once.
            raise InputError(f"`{name}` is already the active rule set.")
        now = stored_rules.get(store, name)
        if fingerprint is not None and (now is None or now.fingerprint != fingerprint):
            # The button was pressed on a what-if of an earlier version: never activate unseen rules.
            raise InputError(
                f"`{name}` changed since that what-if was run: run `/segment simulate {name}` again and activate "
                "from the new one."
            )
        if current is not None:
            stored_rules.set_state(store, current.name, "archived", at, actor)
        stored_rules.set_state(store, name, "active", at, actor)
        stored_rules.record_activation(store, name, day.isoformat(), at, actor)
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "rules.activate",
                    f"rule_set:{name}",
                    {"active": current.name if current else None},
                    {"active": name, "effective_date": day.isoformat()},
                )
            ],
        )
        stray = stored_tiers.active_overrides(store, today(clock).isoformat())
        stray = stray[~stray["tier"].isin(rule_set.tiers)]
        report = ActivationReport(
            name,
            current.name if current else None,
            day.isoformat(),
            actor,
            tuple(f"{row.crm_id} ({row.tier})" for row in stray.itertuples(index=False)),
        )
        if then is not None:
            record_effects(store, then(report), actor=actor, clock=clock)
    keep_ranks_current(store)  # a rule set reading ARR ranks needs them kept from now on
    return report


def archive_rule_set(store: Store, name: str, *, actor: str, clock: Clock) -> str:
    """Retire a draft; the active rule set is archived by activating another."""
    stored, _ = rule_set_named(store, name)
    if stored.state == "active":
        raise InputError(f"`{name}` is active: activate another rule set and this one is archived.")
    if stored.state == "archived":
        raise InputError(f"`{name}` is already archived.")
    at = timestamp(clock)
    with store.transaction():
        stored_rules.set_state(store, name, "archived", at, actor)
        audit.record(
            store,
            [AuditEntry(at, actor, "rules.archive", f"rule_set:{name}", {"state": "draft"}, {"state": "archived"})],
        )
    return name


def diff(store: Store, a: str, b: str) -> RuleSetDiff:
    """How rule set ``b`` differs from ``a``."""
    return diff_rule_sets(rule_set_named(store, a)[1], rule_set_named(store, b)[1])


# ---------------------------------------------------------------------------------- propose, simulate


@dataclass(frozen=True)
class ProposalReport:
    """A proposed rule set, saved as a draft, and the table leaders choose from."""

    name: str
    by: str
    rule_set: RuleSet
    table: tuple[TierRow, ...]
    bands: tuple[BandShare, ...]
    yaml: str
    warnings: tuple[str, ...]
    saved: bool
    tolerance: float  # every band within this of its ask, whenever the book allows it


def _proposal_name(store: Store, wanted: str | None, default: str) -> str:
    """The draft's name: as given, or the default with a number when that one is taken."""
    if wanted:
        existing = stored_rules.get(store, wanted)
        if existing is not None and (existing.state != "draft" or not (existing.source or "").startswith("proposed")):
            what = (
                f"the {existing.state} rule set"
                if existing.state != "draft"
                else f"a draft loaded from {existing.source}"
            )
            raise InputError(f"`{wanted}` is {what}: give the proposal another --name.")
        return wanted
    name, number = default, 1
    while (existing := stored_rules.get(store, name)) is not None and existing.state != "draft":
        number += 1
        name = f"{default}-{number}"
    return name


def propose(
    store: Store,
    *,
    actor: str,
    clock: Clock,
    books: BookCache,
    by: str,
    bands: list[float] | None = None,
    cuts: list[float] | None = None,
    tier_names: list[str] | None = None,
    within: str | None = None,
    name: str | None = None,
    save: bool = True,
) -> ProposalReport:
    """Propose thresholds for the current book and save them as a draft rule set.

    Without tier names, the active rule set's names are used when the count fits, so a what-if
    compares like with like; otherwise Tier 1, Tier 2…
    """
    from engine.proposals import TOLERANCE, propose_rules, tier_table
    from engine.tiering import assign_tiers

    categories = [f for f, spec in RULE_FIELDS.items() if spec.kind == TEXT and f not in ("crm_id", "name", "owner")]
    if within is not None and within not in categories:
        hint = did_you_mean(within, categories)
        raise UnknownName(
            f"`--within {within}` is not a category field"
            + (f"; did you mean `{hint}`?" if hint else ".")
            + f" Use one of: {', '.join(categories)}.",
            within,
            hint,
        )
    label = "-".join(f"{b:g}" for b in (bands or cuts or []))
    name = _proposal_name(store, name, f"proposed-{by}-{label}" + (f"-by-{within}" if within else ""))
    columns = ["crm_id", "name", "arr", "strategic"] + ([within] if within else [])
    book = books.book(store, today(clock), columns)
    if book.empty:
        raise InputError("There are no accounts to propose tiers for: import a CRM export or load the demo first.")
    current = stored_rules.active(store)
    # The active set's names, when the count fits: a what-if then compares like with like. They are
    # a preference, not the person's choice, so a book that allows fewer tiers is no refusal.
    active_tiers = [t for t in rule_set_named(store, current.name)[1].tiers if t != "Strategic"] if current else []
    proposal = propose_rules(
        book,
        name=name,
        by=by,
        bands=bands or [],
        cuts=cuts or [],
        tier_names=tier_names or [],
        preferred_names=active_tiers,
        within=within,
    )
    rule_set = proposal.rule_set
    problems = parse_rule_set(to_document(rule_set), name)[1]
    assigned = assign_tiers(book, rule_set)
    report = ProposalReport(
        name=name,
        by=by,
        rule_set=rule_set,
        table=tuple(tier_table(book, assigned["tier"], rule_set.tiers)),
        bands=proposal.bands,
        yaml=to_yaml(rule_set),
        warnings=tuple(proposal.notes) + tuple(str(p) for p in problems if "no default" not in p.message),
        saved=save,
        tolerance=TOLERANCE,
    )
    if save:
        store_rule_set(store, rule_set, list(report.warnings), source=f"proposed ({by})", actor=actor, clock=clock)
    return report


def write_movers(simulation: Simulation, path: Path, *, store_path: Path | None = None, force: bool = False) -> Path:
    """Every mover of a what-if to a CSV file that opens safely in a spreadsheet."""
    from engine.csv_safety import neutralise_frame

    write_table_atomically(neutralise_frame(simulation.mover_table()), path, store_path=store_path, force=force)
    return path


def write_rule_set(store: Store, name: str, path: Path, *, force: bool = False) -> Path:
    """A rule set as YAML in ``path``, ready to edit and load again."""
    check_output(path, store_path=store.path, force=force)
    text = export_rule_set(store, name)
    write_bytes_atomically(text.encode("utf-8"), path, store_path=store.path, force=force)
    return path


def simulate_rule_set(store: Store, name: str, *, clock: Clock, books: BookCache) -> Simulation:
    """Compare a rule set with the active one on today's book; nothing changes."""
    from engine.simulation import simulate
    from engine.tiering import assign_tiers

    _, draft = rule_set_named(store, name)
    current = stored_rules.active(store)
    active = rule_set_named(store, current.name)[1] if current is not None else None
    if active is not None and active.name == draft.name:
        raise InputError(f"`{name}` is the active rule set: simulate a draft against it instead.")
    sets = [draft] + ([active] if active else [])
    day = today(clock)
    book = books.book(store, day, columns_needed(sets))
    before = assign_tiers(book, active) if active else None
    forced = stored_tiers.active_overrides(store, day.isoformat()).set_index("crm_id")["tier"]
    overrides = book["crm_id"].map(forced) if not forced.empty else None
    return simulate(book, before, assign_tiers(book, draft), active, draft, overrides)


# ---------------------------------------------------------------------------------- back to the CRM


CRMS = ("salesforce",)


def crm_formula(store: Store, name: str | None, *, crm: str, fields: dict[str, str] | None = None) -> Formula:
    """The rule set (default: the active one) as a CRM formula field.

    ``fields`` maps tierbot fields to API names, optionally with a type: ``Region__c:text``.
    """
    if crm not in CRMS:
        raise InputError(f"`--crm {crm}` is not supported yet; supported: {', '.join(CRMS)}.")
    rule_set = rule_set_named(store, name)[1] if name else active_rule_set(store)[1]
    overrides: dict[str, tuple[str, str]] = {}
    for tierbot_field, target in (fields or {}).items():
        if tierbot_field not in RULE_FIELDS:
            hint = did_you_mean(tierbot_field, list(RULE_FIELDS))
            raise UnknownName(
                f"`--field {tierbot_field}=…` names no field" + (f"; did you mean `{hint}`?" if hint else "."),
                tierbot_field,
                hint,
            )
        api, _, kind = target.partition(":")
        default_kind = SALESFORCE_FIELDS.get(tierbot_field, ("", "text"))[1]
        kind = kind.strip() or default_kind
        if kind not in FIELD_TYPES:
            raise InputError(
                f"`--field {tierbot_field}={target}`: the type after `:` is one of {', '.join(FIELD_TYPES)}."
            )
        overrides[tierbot_field] = (api.strip(), kind)
    from_file = _api_names_from_import(store)
    spellings: dict[str, list[str]] = {}
    for value in records.distinct_values(store, "accounts", "region"):
        region = region_of(value)
        if region is not None and value.lower() != region.lower():
            spellings.setdefault(region, []).append(value)
    formula = salesforce_formula(rule_set, {**from_file, **overrides}, spellings)
    taken = {name: from_file[name][0] for name in formula.fields if name in from_file and name not in overrides}
    if not taken:
        return formula
    said = ", ".join(f"{name} → {api}" for name, api in taken.items())
    note = f"API names taken from the columns the accounts were imported from: {said} (`--field` changes them)."
    return replace(formula, notes=(*formula.notes, note))


# Salesforce's standard Account fields: a column headed with one of these is the field itself.
_SALESFORCE_STANDARD = frozenset(
    {"Id", "Name", "AnnualRevenue", "Industry", "NumberOfEmployees", "BillingCountry", "ShippingCountry", "Type"}
)


def _api_names_from_import(store: Store) -> dict[str, tuple[str, str]]:
    """Fields whose last import read them from a column headed with a Salesforce API name
    (``AnnualRevenue``, ``Region__c``): the formula reads the same CRM field."""
    latest = imports.latest(store, "accounts")
    if latest is None:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for name, header in latest.mapping.items():
        if name not in SALESFORCE_FIELDS:
            continue
        if header in _SALESFORCE_STANDARD or re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*__c", header):
            found[name] = (header, SALESFORCE_FIELDS[name][1])
    return found


@dataclass(frozen=True)
class RuleSetList:
    """Every stored rule set."""

    rule_sets: tuple[RuleSetInfo, ...]


@dataclass(frozen=True)
class RuleSetDetail:
    """One rule set as stored, with its rules and the warnings it carries."""

    name: str
    state: str
    description: str
    rule_set: RuleSet
    warnings: tuple[str, ...]
    updated_at: str
    updated_by: str
    source: str | None


def show_rule_set(store: Store, name: str | None = None) -> RuleSetDetail:
    """A rule set (default: the active one) with its rules in words."""
    stored, rule_set = rule_set_named(store, name) if name else active_rule_set(store)
    _, problems = parse_yaml(stored.definition, stored.name)
    value_warnings = _value_warnings(store, rule_set)
    return RuleSetDetail(
        name=stored.name,
        state=stored.state,
        description=stored.description,
        rule_set=rule_set,
        warnings=tuple(str(p) for p in problems) + tuple(value_warnings),
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
        source=stored.source,
    )
