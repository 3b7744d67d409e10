"""Customer transition notes: drafted (by a language model when one is configured, by templates
otherwise), checked by one validator, and approved by a person before anything is marked sent.

This is the only module that imports LangChain. The model is built from a name in the settings
(``TIERBOT_LLM=provider:model``) by ``load_chat_model`` and passed in; tests pass LangChain's
fake chat models. The model sees only ``DraftFacts`` (rendered by ``prompts/note_request.txt.j2``):
no revenue, no other customers, no free-text notes. Whatever it answers is checked like any
draft; a failing draft or a provider error falls back to the template, and the record says which
it is, the model and the prompt version.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr
from typing import TYPE_CHECKING, Any

import yaml

from engine.drafts import (
    NAME_KEY_SCHEME,
    CustomersNamed,
    Draft,
    DraftFacts,
    DraftPolicy,
    DraftProblem,
    check_draft,
    name_key,
)
from engine.errors import InputError, InvalidFields, NotAllowed
from engine.notes import (
    PERSONAL,
    PROMPT_NAME_LENGTH,
    STANDARD,
    first_name,
    intro_slot,
    note_style,
    one_line,
    parse_note,
    reason_category,
    title_of,
)
from prompts import TEMPLATES, render_template
from store import Store, audit, csms
from store import accounts as account_queries
from store import drafts as stored
from store import handoffs as stored_handoffs
from store import rules as stored_rules
from store.audit import AuditEntry
from workflows.clock import Clock, timestamp
from workflows.handoffs import Handoff, deciders, get_handoff
from workflows.outbox import Effects, record_effects
from workflows.roles import Person, actor_name, actor_of, record_denial

if TYPE_CHECKING:  # LangChain loads only when a model drafts (the templates need none of it)
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger("tierbot.drafting")

PROMPT_FILES = ("note_system.txt.j2", "note_request.txt.j2", "note_personal.txt.j2", "note_standard.txt.j2")
NAME_BATCH = 50_000
DRAFTABLE = ("approved", "scheduled", "customer notified")  # decided, and the customer not told yet


def prompt_version() -> str:
    """``notes-<hash>`` of the prompt and template files: a draft records which wording made it."""
    digest = hashlib.sha256()
    for name in PROMPT_FILES:
        digest.update((TEMPLATES / name).read_bytes())
    return f"notes-{digest.hexdigest()[:10]}"


# ---------------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class ModelSettings:
    """Which language model drafts notes: none (the template drafter) unless ``spec`` is set."""

    spec: str | None = None  # "openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest", "ollama:llama3.1"
    base_url: str | None = None  # any OpenAI-compatible server: TIERBOT_LLM=openai:<model> + this
    timeout_s: float = 30.0
    max_tokens: int = 600
    api_key: str | None = field(default=None, repr=False)  # the provider's key, when the settings hold one
    key_variable: str | None = None  # where that key is set ("OPENAI_API_KEY"); None: the provider needs none


# Provider → the LangChain package that brings it (the module is the same name with underscores).
_PACKAGES = {"openai": "langchain-openai", "anthropic": "langchain-anthropic", "ollama": "langchain-ollama"}
# What a local OpenAI-compatible server gets as the key: it accepts any, the client insists on one.
LOCAL_SERVER_KEY = "local-server"


def _missing_package(provider: str) -> str | None:
    """The pip package a known provider needs and lacks, else None (found without importing it)."""
    package = _PACKAGES.get(provider)
    if package is None:
        return None
    modules = [package.replace("-", "_")] + (["langchain_community"] if provider == "ollama" else [])
    return package if all(importlib.util.find_spec(m) is None for m in modules) else None


def load_chat_model(settings: ModelSettings) -> BaseChatModel | None:
    """The chat model ``settings`` name, with timeout, token cap and one retry; None for templates.

    Raises ``InputError`` saying why and what to do when it cannot be used: no key (and no local
    server), the provider's package not installed, or the provider refusing the settings."""
    if not settings.spec:
        return None
    provider, _, model = settings.spec.partition(":")
    if not provider or not model:
        raise InputError(
            f"TIERBOT_LLM is `{settings.spec}`: write it as provider:model, e.g. `openai:gpt-4o-mini` or "
            "`ollama:llama3.1` (unset it to draft notes from templates)."
        )
    if settings.key_variable and not settings.api_key and not settings.base_url:
        raise InputError(
            f"TIERBOT_LLM names `{settings.spec}` but {settings.key_variable} is not set: set it, or set "
            "TIERBOT_LLM_BASE_URL to a local OpenAI-compatible server (which needs no key), or unset TIERBOT_LLM "
            "to draft notes from templates."
        )
    package = _missing_package(provider)
    if package:
        raise InputError(
            f"TIERBOT_LLM names the `{provider}` provider, whose LangChain package is not installed: "
            f"`.venv/bin/pip install {package}` (or unset TIERBOT_LLM to draft from templates)."
        )
    from langchain.chat_models import init_chat_model  # imported here: it is slow, and only needed here

    # No retries inside the provider: write_note retries once itself, so a failing call costs two tries.
    options: dict[str, Any] = {"timeout": settings.timeout_s, "max_tokens": settings.max_tokens, "max_retries": 0}
    if settings.base_url:
        options["base_url"] = settings.base_url
    if settings.key_variable:  # a key from the settings, or the placeholder a local server accepts
        options["api_key"] = settings.api_key or LOCAL_SERVER_KEY
    try:
        return init_chat_model(model, model_provider=provider, **options)
    except ImportError:
        raise InputError(
            f"TIERBOT_LLM names the `{provider}` provider, whose LangChain package is not installed: "
            f"`.venv/bin/pip install {_PACKAGES.get(provider, f'langchain-{provider}')}` (or unset TIERBOT_LLM to "
            "draft from templates)."
        ) from None
    except ValueError as unknown:
        raise InputError(f"TIERBOT_LLM is `{settings.spec}`: {unknown}") from None
    except Exception as refused:  # a provider package's own checks (credentials, options): said, never raised on
        raise InputError(
            f"TIERBOT_LLM names `{settings.spec}`, which could not be set up ({type(refused).__name__}: "
            f"{str(refused)[:200]}): fix its settings, or unset TIERBOT_LLM to draft notes from templates."
        ) from None


@dataclass(frozen=True)
class NoteWriter:
    """What drafts notes: a chat model (``label`` names it) or, without one, the templates."""

    model: BaseChatModel | None = None
    label: str | None = None
    allowed_domains: frozenset[str] = frozenset()  # besides the roster's own email domains
    unavailable: str | None = None  # why the configured model (``label``) cannot draft: templates do, saying so


def load_note_writer(settings: ModelSettings, allowed_domains: frozenset[str] = frozenset()) -> NoteWriter:
    """The drafter ``settings`` configure; a model that cannot be used leaves the templates, with why."""
    try:
        model = load_chat_model(settings)
    except InputError as problem:
        return NoteWriter(None, settings.spec, allowed_domains, unavailable=str(problem))
    return NoteWriter(model, settings.spec if model is not None else None, allowed_domains)


# ---------------------------------------------------------------------------------- facts


def _tiers(store: Store) -> list[str]:
    active = stored_rules.active(store)
    if active is None:
        return []
    try:
        tiers = (yaml.safe_load(active.definition) or {}).get("tiers") or []
    except yaml.YAMLError:
        return []
    return [str(t) for t in tiers]


def _long_date(day: date) -> str:
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B')} {day.year}"


def note_facts(store: Store, handoff: Handoff) -> tuple[DraftFacts, str]:
    """The facts a note may use, and its style (personal or standard)."""
    account = account_queries.get(store, handoff.crm_id) or {}
    old = csms.get(store, handoff.from_csm) if handoff.from_csm else None
    new = csms.get(store, handoff.to_csm) or {}
    effective = date.fromisoformat(handoff.effective_date or handoff.requested_at[:10])
    facts = DraftFacts(
        account_name=one_line(handoff.account_name, PROMPT_NAME_LENGTH),
        contact_first_name=first_name(account.get("contact_name")),
        old_csm_name=str(old["name"]) if old else "",
        # The roster's own title where it has one, else one from the role.
        old_csm_title=(one_line(old.get("title") or "", 80) or title_of(old.get("role"))) if old else "",
        new_csm_name=str(new.get("name") or handoff.to_name or handoff.to_csm),
        new_csm_title=one_line(new.get("title") or "", 80) or title_of(new.get("role")),
        effective_date=effective,
        tier=handoff.tier or "standard",
        reason_category=reason_category(handoff.reason),
        intro_slot=intro_slot(effective),
    )
    return facts, note_style(handoff.tier, _tiers(store))


def note_context(facts: DraftFacts, style: str) -> dict[str, Any]:
    """The templates' variables: the facts, the date written out, and the style."""
    return {
        "account_name": facts.account_name,
        "contact_first_name": facts.contact_first_name,
        "old_csm_name": facts.old_csm_name,
        "old_csm_title": facts.old_csm_title,
        "new_csm_name": facts.new_csm_name,
        "new_csm_title": facts.new_csm_title,
        "effective_date": _long_date(facts.effective_date),
        "tier": facts.tier,
        "reason_category": facts.reason_category,
        "intro_slot": facts.intro_slot,
        "style": style,
    }


def prompt_messages(facts: DraftFacts, style: str) -> tuple[str, str]:
    """The system instructions and the request the model gets: exactly these two texts."""
    context = note_context(facts, style)
    return render_template("note_system.txt.j2", **context), render_template("note_request.txt.j2", **context)


def template_note(facts: DraftFacts, style: str) -> Draft:
    """The deterministic drafter: the personal or the standard template."""
    return parse_note(render_template(f"note_{style}.txt.j2", **note_context(facts, style)))


# ---------------------------------------------------------------------------------- checking


def customers_in(store: Store, *, refresh: bool = True) -> CustomersNamed:
    """``customers_named`` for the validator: phrases looked up among every account's name key
    (an indexed table, rebuilt here when names changed since it was built; ``refresh=False``
    reads it as it is, for checks that must not write, like those before a Slack ack)."""
    if refresh:
        refresh_name_keys(store)

    def named(phrases: Sequence[tuple[str, ...]]) -> list[str]:
        keys = list(dict.fromkeys(" ".join(p) for p in phrases))
        return list(dict.fromkeys(name for _, name in stored.names_by_key(store, keys)))

    return named


def refresh_name_keys(store: Store) -> None:
    """Key every account name again after an import or an owner change (about 2 s a million)."""
    if not stored.name_keys_stale(store, NAME_KEY_SCHEME):
        return
    with store.transaction():
        if not stored.name_keys_stale(store, NAME_KEY_SCHEME):
            return  # another writer rebuilt it meanwhile
        stored.clear_name_keys(store)
        last, names = stored.account_names(store, 0, NAME_BATCH)
        while names:
            stored.add_name_keys(store, [(" ".join(name_key(n)), n) for n in names])
            last, names = stored.account_names(store, last, NAME_BATCH)
        stored.name_keys_done(store, NAME_KEY_SCHEME)


def note_policy(store: Store, writer: NoteWriter) -> DraftPolicy:
    """Links and addresses may go to the company's own domains (the roster's emails) and any set."""
    domains = {str(p[2]).rsplit("@", 1)[-1].lower() for p in csms.people(store) if p[2] and "@" in str(p[2])}
    return DraftPolicy(allowed_domains=frozenset(domains) | writer.allowed_domains)


def check_note(
    store: Store,
    draft: Draft,
    facts: DraftFacts,
    writer: NoteWriter,
    *,
    refresh: bool = True,
    withheld: Sequence[str] = (),
) -> list[DraftProblem]:
    """Every problem with ``draft`` (see ``engine.drafts.check_draft``); ``withheld`` are texts it
    must not repeat: the handoff's reason as typed."""
    named = customers_in(store, refresh=refresh)
    return check_draft(draft, facts, customers_named=named, policy=note_policy(store, writer), withheld=withheld)


# ---------------------------------------------------------------------------------- drafting


@dataclass(frozen=True)
class Written:
    draft: Draft
    source: str  # "model" or "template"
    problems: tuple[DraftProblem, ...]
    fallback: str | None = None  # why the model's draft was not used


def _ask_model(model: BaseChatModel, facts: DraftFacts, style: str) -> Draft:
    system, request = prompt_messages(facts, style)
    from langchain_core.messages import HumanMessage, SystemMessage

    answer = model.invoke([SystemMessage(system), HumanMessage(request)])
    content = answer.content if isinstance(answer.content, str) else json.dumps(answer.content)
    return parse_note(content)


def write_note(
    store: Store, facts: DraftFacts, style: str, writer: NoteWriter, *, withheld: Sequence[str] = ()
) -> Written:
    """Draft with the model when there is one (one retry on a provider error); a failing draft or a
    second error falls back to the template. The result is always checked (``withheld``: texts it
    must not repeat, the reason as typed)."""
    fallback = writer.unavailable
    if writer.model is not None:
        for attempt in (1, 2):
            try:
                draft = _ask_model(writer.model, facts, style)
            except Exception as failure:  # any provider failure: timeouts, 5xx, refusals, bad keys
                log.warning("the language model failed drafting a note (attempt %s): %s", attempt, failure)
                fallback = f"the model failed: {type(failure).__name__}: {str(failure)[:200]}"
                continue
            problems = check_note(store, draft, facts, writer, withheld=withheld)
            if not problems:
                return Written(draft, "model", ())
            fallback = "the model's draft failed the checks: " + " ".join(p.message for p in problems)
            break
    draft = template_note(facts, style)
    return Written(draft, "template", tuple(check_note(store, draft, facts, writer, withheld=withheld)), fallback)


@dataclass(frozen=True)
class CustomerNote:
    """A draft of a handoff's customer note, as stored, with what a person needs to act on it."""

    id: int
    handoff_id: int
    subject: str
    body: str
    source: str
    model: str | None
    prompt_version: str
    valid: bool
    problems: tuple[DraftProblem, ...]
    fallback: str | None
    state: str
    created_at: str
    created_by: str
    decided_at: str | None = None
    decided_by: str | None = None
    sent_at: str | None = None
    sent_by: str | None = None
    channel: str | None = None
    ts: str | None = None
    account_name: str = ""
    contact_name: str | None = None
    contact_email: str | None = None
    new_csm: str | None = None
    new_csm_slack: str | None = None
    new_csm_email: str | None = None
    style: str = STANDARD  # personal (from the outgoing CSM) or standard (from the new CSM, for the team)
    sender: str | None = None  # who sends it: the outgoing CSM for a personal note, else the new CSM
    sender_email: str | None = None
    decided_by_name: str | None = None
    sent_by_name: str | None = None


def _note(store: Store, row: dict[str, Any]) -> CustomerNote:
    handoff = get_handoff(store, int(row["handoff_id"]))
    new = csms.get(store, handoff.to_csm) or {}
    # Addressed as drafted (notes from before m009 have no record of it: as things stand now).
    addressed = row["style"] is not None
    envelope = {k: row[k] for k in ("style", "to_name", "to_email", "from_name", "from_email")}
    if not addressed:
        envelope = _envelope(store, handoff)
    problems = tuple(DraftProblem(**p) for p in json.loads(row["problems"] or "[]"))
    return CustomerNote(
        id=int(row["id"]),
        handoff_id=handoff.id,
        subject=row["subject"],
        body=row["body"],
        source=row["source"],
        model=row["model"],
        prompt_version=row["prompt_version"],
        valid=bool(row["valid"]),
        problems=problems,
        fallback=row["fallback"],
        state=row["state"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        sent_at=row["sent_at"],
        sent_by=row["sent_by"],
        channel=row["channel"],
        ts=row["ts"],
        account_name=handoff.account_name,
        contact_name=envelope["to_name"],
        contact_email=envelope["to_email"],
        new_csm=handoff.to_name,
        new_csm_slack=handoff.to_slack,
        new_csm_email=new.get("email"),
        style=envelope["style"] or STANDARD,
        sender=envelope["from_name"],
        sender_email=envelope["from_email"],
        decided_by_name=actor_name(store, row["decided_by"]) if row["decided_by"] else None,
        sent_by_name=actor_name(store, row["sent_by"]) if row["sent_by"] else None,
    )


def _envelope(store: Store, handoff: Handoff) -> dict[str, Any]:
    """Whom a note goes to and from, and its style: a personal note from the outgoing CSM (when
    they have an email address), a standard notice from the new CSM."""
    account = account_queries.get(store, handoff.crm_id) or {}
    new = csms.get(store, handoff.to_csm) or {}
    old = (csms.get(store, handoff.from_csm) or {}) if handoff.from_csm else {}
    style = note_style(handoff.tier, _tiers(store))
    sender = old if style == PERSONAL and old.get("email") else new
    return {
        "style": style,
        "to_name": one_line(account.get("contact_name")) or None,
        "to_email": one_line(account.get("contact_email")) or None,
        "from_name": sender.get("name"),
        "from_email": sender.get("email"),
    }


def draft_note(store: Store, handoff_id: int, *, writer: NoteWriter, actor: str, clock: Clock) -> CustomerNote:
    """Draft the customer note of an approved handoff and keep it (an earlier note not sent yet is
    replaced: it is discarded on the record)."""
    handoff = get_handoff(store, handoff_id)
    if handoff.state not in DRAFTABLE:
        raise InputError(
            f"Handoff #{handoff.id} is {handoff.state}: a customer note is drafted once the handoff is approved "
            "and until the customer is told."
        )
    facts, style = note_facts(store, handoff)
    # Slow (a model call): outside the write lock. The typed reason may be candid: never repeated.
    written = write_note(store, facts, style, writer, withheld=(handoff.reason,))
    at = timestamp(clock)
    record = {
        "subject": written.draft.subject,
        "body": written.draft.body,
        "source": written.source,
        "model": writer.label if writer.model is not None or writer.unavailable else None,
        "prompt_version": prompt_version(),
        "valid": not written.problems,
        "problems": [{"rule": p.rule, "message": p.message} for p in written.problems],
        "fallback": written.fallback,
    } | _envelope(store, handoff)
    with store.transaction():
        sent = [n for n in stored.of_handoff(store, handoff_id) if n["state"] == "sent"]
        if sent:
            raise InputError(f"The customer was told already: note #{sent[0]['id']} of handoff #{handoff_id} was sent.")
        approved = [n for n in stored.of_handoff(store, handoff_id) if n["state"] == "approved"]
        if approved:
            raise InputError(
                f"Note #{approved[0]['id']} of handoff #{handoff_id} is approved: discard it first "
                f"(`tierbot draft {handoff_id} --discard --as PERSON`), or send it."
            )
        stored.discard_open(store, handoff_id, at=at, actor=actor)  # one note in play per handoff
        draft_id = stored.create(store, handoff_id, record, at=at, actor=actor)
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "note.draft",
                    f"handoff:{handoff_id}",
                    None,
                    {"draft": draft_id, "source": written.source, "valid": record["valid"], "style": style},
                )
            ],
        )
    return get_note(store, draft_id)


def get_note(store: Store, draft_id: int) -> CustomerNote:
    row = stored.get(store, draft_id)
    if row is None:
        raise InputError(f"There is no customer note #{draft_id}.")
    return _note(store, row)


def latest_note(store: Store, handoff_id: int) -> CustomerNote | None:
    get_handoff(store, handoff_id)  # says so when there is no such handoff
    row = stored.latest(store, handoff_id)
    return _note(store, row) if row else None


def notes_waiting_on(store: Store, person: Person) -> list[CustomerNote]:
    """The customer notes ``person`` (as the new CSM) has to approve or send."""
    if person.csm_id is None:
        return []
    return [_note(store, row) for row in stored.open_for_csm(store, person.csm_id, list(DRAFTABLE))]


def note_for(store: Store, handoff_id: int, *, writer: NoteWriter, actor: str, clock: Clock) -> CustomerNote:
    """The handoff's current note, drafted first when it has none."""
    return latest_note(store, handoff_id) or draft_note(store, handoff_id, writer=writer, actor=actor, clock=clock)


# ---------------------------------------------------------------------------------- deciding


def may_handle_note(store: Store, person: Person, handoff: Handoff) -> bool:
    """The new CSM (who sends it), the outgoing CSM, their managers and leaders."""
    if "leader" in person.roles:
        return True
    if person.csm_id and person.csm_id in (handoff.to_csm, handoff.from_csm):
        return True
    return person.slack_user_id in deciders(store, handoff.from_csm, handoff.to_csm)


def _allowed(store: Store, person: Person, note: CustomerNote, action: str, clock: Clock) -> Handoff:
    handoff = get_handoff(store, note.handoff_id)
    if not may_handle_note(store, person, handoff):
        what = f"{action} the customer note of handoff #{handoff.id}"
        record_denial(store, person, what, where="customer note", clock=clock)
        raise NotAllowed(
            f"Only {handoff.to_name} (the new CSM), {handoff.from_name or 'the outgoing CSM'}, their managers or a "
            f"leader may {what}.",
            what,
            ("csm", "manager", "leader"),
            deciders(store, handoff.from_csm, handoff.to_csm),
        )
    if action != "discard" and handoff.state not in DRAFTABLE:
        raise InputError(
            f"Handoff #{handoff.id} is {handoff.state}: its customer note can no longer be {_PAST[action]}."
        )
    return handoff


_PAST = {"approve": "approved", "edit": "edited", "mark as sent": "marked sent"}


def _already(note: CustomerNote) -> InputError:
    by = f" by {note.decided_by_name}" if note.decided_by_name else ""
    return InputError(f"Customer note #{note.id} was already {note.state}{by}; nothing changed.")


def approve_note(
    store: Store,
    draft_id: int,
    *,
    person: Person,
    clock: Clock,
    writer: NoteWriter | None = None,
    then: Effects | None = None,
) -> CustomerNote:
    """Record a person's approval: only a draft that passed the checks can be approved. ``then``
    gives what must follow it (the note's message shown approved), recorded in its transaction."""
    note = get_note(store, draft_id)
    handoff = _allowed(store, person, note, "approve", clock)
    # Checked again now: the handoff's date, the CSMs or the account list may have moved since.
    problems = (
        note.problems
        if not note.valid
        else tuple(
            check_note(
                store,
                Draft(note.subject, note.body),
                note_facts(store, handoff)[0],
                writer or NoteWriter(),  # the same allow-list the draft was checked with
                withheld=(handoff.reason,),
            )
        )
    )
    if problems:
        raise InputError(
            f"Customer note #{note.id} fails the checks ({' '.join(p.message for p in problems)}) "
            "Edit it first; an edit that passes can be approved."
        )
    return _decide(store, note, "approved", person, clock, then)


def discard_note(
    store: Store, draft_id: int, *, person: Person, clock: Clock, then: Effects | None = None
) -> CustomerNote:
    note = get_note(store, draft_id)
    _allowed(store, person, note, "discard", clock)
    return _decide(store, note, "discarded", person, clock, then)


def _decide(
    store: Store, note: CustomerNote, state: str, person: Person, clock: Clock, then: Effects | None
) -> CustomerNote:
    at, actor = timestamp(clock), actor_of(person)
    with store.transaction():
        if not stored.decide(store, note.id, state, at=at, actor=actor):
            raise _already(get_note(store, note.id))
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    {"approved": "note.approve", "discarded": "note.discard"}[state],
                    f"note:{note.id}",
                    {"state": "draft"},
                    {"state": state, "handoff": note.handoff_id},
                )
            ],
        )
        _follow(store, note.id, then, actor, clock)
    return get_note(store, note.id)


def _follow(store: Store, draft_id: int, then: Effects | None, actor: str, clock: Clock) -> None:
    """What must follow a note's decision, recorded in the decision's transaction."""
    if then is not None:
        record_effects(store, then(get_note(store, draft_id)), actor=actor, clock=clock)


def mark_note_sent(
    store: Store, draft_id: int, *, person: Person, clock: Clock, then: Effects | None = None
) -> CustomerNote:
    """Record that the approved note went to the customer (tierbot does not send email itself)."""
    note = get_note(store, draft_id)
    _allowed(store, person, note, "mark as sent", clock)
    at, actor = timestamp(clock), actor_of(person)
    with store.transaction():
        if not stored.mark_sent(store, note.id, at=at, actor=actor):
            current = get_note(store, note.id)
            if current.state == "sent":
                raise InputError(f"Customer note #{note.id} was already marked sent by {current.sent_by_name}.")
            raise InputError(f"Customer note #{note.id} is {current.state}: only an approved note can be sent.")
        entries = [
            AuditEntry(
                at,
                actor,
                "note.sent",
                f"note:{note.id}",
                {"state": "approved"},
                {"state": "sent", "handoff": note.handoff_id},
            )
        ]
        # The note is how the customer is told: the handoff moves on to "customer notified" (an
        # approved one through "scheduled": the note sets the date with the customer).
        said = f"note #{note.id} sent"
        for before, after in (("approved", "scheduled"), ("scheduled", "customer notified")):
            if stored_handoffs.move(store, note.handoff_id, before, after, at, actor, said):
                entries.append(
                    AuditEntry(
                        at,
                        actor,
                        f"handoff.{after.replace(' ', '_')}",
                        f"handoff:{note.handoff_id}",
                        {"state": before},
                        {"state": after, "note": said},
                    )
                )
        audit.record(store, entries)
        _follow(store, note.id, then, actor, clock)
    return get_note(store, note.id)


def check_editor(store: Store, note: CustomerNote, person: Person) -> None:
    """Refuse (reads only) someone who may not edit ``note``, or a note past editing."""
    handoff = get_handoff(store, note.handoff_id)
    if not may_handle_note(store, person, handoff):
        who = f"{handoff.to_name}, {handoff.from_name or 'the outgoing CSM'}, their managers or a leader"
        raise NotAllowed(
            f"Only {who} may edit this note.",
            f"edit the customer note of handoff #{handoff.id}",
            ("csm", "manager", "leader"),
            deciders(store, handoff.from_csm, handoff.to_csm),
        )
    if note.state != "draft":
        raise _already(note)


def check_edit(
    store: Store, draft_id: int, *, subject: str, body: str, person: Person, writer: NoteWriter, refresh: bool = True
) -> CustomerNote:
    """Check an edit without saving it: problems by field (subject, body). With ``refresh=False``
    it reads only (the name index as it is)."""
    note = get_note(store, draft_id)
    handoff = get_handoff(store, note.handoff_id)
    if not may_handle_note(store, person, handoff):
        raise InvalidFields(
            {"body": f"Only {handoff.to_name}, {handoff.from_name}, their managers or a leader may edit it."}
        )
    if note.state != "draft":
        raise InvalidFields({"body": str(_already(note))})
    facts, _ = note_facts(store, handoff)
    draft = Draft(subject.strip(), body.strip())
    problems = check_note(store, draft, facts, writer, refresh=refresh, withheld=(handoff.reason,))
    if problems:
        errors: dict[str, str] = {}
        for p in problems:
            where = (
                "subject" if p.rule in ("subject_length",) or (p.rule == "empty" and not subject.strip()) else "body"
            )
            errors[where] = (errors.get(where, "") + " " + p.message).strip()
        raise InvalidFields(errors)
    return note


def edit_note(
    store: Store,
    draft_id: int,
    *,
    subject: str,
    body: str,
    person: Person,
    writer: NoteWriter,
    clock: Clock,
    then: Effects | None = None,
) -> CustomerNote:
    """A person's edit becomes a new draft (the old one is discarded on the record), checked like
    any other: problems come back by field and nothing is saved. The new draft takes over the
    old one's message (the new CSM's DM shows the edit in place)."""
    note = get_note(store, draft_id)
    _allowed(store, person, note, "edit", clock)
    if note.state != "draft":
        raise _already(note)
    check_edit(store, draft_id, subject=subject, body=body, person=person, writer=writer)
    draft = Draft(subject.strip(), body.strip())
    at, actor = timestamp(clock), actor_of(person)
    record: dict[str, Any] = {
        "subject": draft.subject,
        "body": draft.body,
        "source": "edited",
        "model": note.model,
        "prompt_version": note.prompt_version,
        "valid": True,
        "problems": [],
        "fallback": None,
        "style": note.style,  # addressed like the draft it edits
        "to_name": note.contact_name,
        "to_email": note.contact_email,
        "from_name": note.sender,
        "from_email": note.sender_email,
    }
    with store.transaction():
        if not stored.decide(store, note.id, "discarded", at=at, actor=actor):
            raise _already(get_note(store, note.id))
        new_id = stored.create(store, note.handoff_id, record, at=at, actor=actor)
        if note.channel and note.ts:
            stored.set_message(store, new_id, note.channel, note.ts)
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "note.edit",
                    f"note:{new_id}",
                    {"draft": note.id},
                    {"draft": new_id, "handoff": note.handoff_id},
                )
            ],
        )
        _follow(store, new_id, then, actor, clock)
    return get_note(store, new_id)


def note_in_message(store: Store, draft_id: int) -> CustomerNote:
    """What the Slack message of note ``draft_id`` must show now: the latest draft in that message
    (an edit made after it), else the note itself."""
    note = get_note(store, draft_id)
    if note.channel and note.ts:
        row = stored.newest_in_message(store, note.channel, note.ts)
        if row is not None and int(row["id"]) != note.id:
            return _note(store, row)
    return note


def record_note_message(store: Store, draft_id: int, channel: str, ts: str) -> None:
    with store.transaction():
        stored.set_message(store, draft_id, channel, ts)


def note_email(note: CustomerNote) -> bytes:
    """The note as an .eml file, ready to open and send: a personal note from the outgoing CSM
    (the new CSM in copy), a standard notice from the new CSM, to the contact."""
    message = EmailMessage()
    message["Subject"] = note.subject
    if note.sender_email:
        message["From"] = formataddr((one_line(note.sender), one_line(note.sender_email)))
    if note.new_csm_email and note.sender_email != note.new_csm_email:
        message["Cc"] = formataddr((one_line(note.new_csm), one_line(note.new_csm_email)))
    if note.contact_email:
        message["To"] = formataddr((one_line(note.contact_name), one_line(note.contact_email)))
    message["X-Tierbot-Handoff"] = str(note.handoff_id)
    message["X-Tierbot-Draft"] = f"{note.id} ({note.source}, {note.state})"
    message.set_content(note.body + "\n")
    return bytes(message)
