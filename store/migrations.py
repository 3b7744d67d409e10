"""The schema, as an ordered sequence of migrations.

Never edit a migration that has shipped; add the next one. The README's "Store schema" section
documents the tables for people who open the file in another SQLite tool.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATION_SET = "tierbot"
# The schema's steps, in order. sqlite-utils applies them (and records each in
# `_sqlite_migrations`); it is imported only when a step is pending, because importing it loads
# pandas, which a command that only reads should not pay for at start.
STEPS: list[Callable[[Database], None]] = []


def migration(step: Callable[[Database], None]) -> Callable[[Database], None]:
    STEPS.append(step)
    return step


def pending(conn: sqlite3.Connection) -> list[str]:
    """The steps this store has not had yet (read-only)."""
    try:
        done = {
            r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (MIGRATION_SET,))
        }
    except sqlite3.OperationalError:  # a new file: no migrations table yet
        done = set()
    return [s.__name__ for s in STEPS if s.__name__ not in done]


def apply(conn: sqlite3.Connection) -> None:
    """Apply the pending steps, inside the caller's transaction."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for step in STEPS:
        migrations()(step)
    migrations.apply(Database(conn, recursive_triggers=False, execute_plugins=False))


# Shared with store.records.delete_all, which drops and recreates it around a bulk wipe.
ACCOUNTS_FTS_DELETE_TRIGGER = """CREATE TRIGGER accounts_fts_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_fts(accounts_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
END"""


# The tier to show and export: an override in force beats the rules. ``{today}`` is the SQL for
# today's date: date('now') in the stored view other SQLite tools read (m002), and the app's own
# clock in the TEMP view each tierbot connection puts in front of it (store.db).
ACCOUNT_TIERS_ON = """SELECT
    a.crm_id,
    a.name,
    COALESCE(o.tier, t.tier) AS tier,
    CASE WHEN o.tier IS NOT NULL THEN 'override: ' || o.reason ELSE t.rule_label END AS rule,
    t.rule_set
FROM accounts a
LEFT JOIN tier_assignments t ON t.crm_id = a.crm_id
LEFT JOIN tier_overrides o
    ON o.crm_id = a.crm_id
    AND o.cleared_at IS NULL
    AND (o.until IS NULL OR o.until >= {today})"""


def execute_statements(db: Database, script: str) -> None:
    """Run a script statement by statement, inside the caller's transaction.

    ``sqlite3.executescript`` would COMMIT the open transaction first, so a failed migration
    could leave half a schema behind.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement.strip()[:60]}")


@migration
def m001_foundation(db: Database) -> None:
    execute_statements(
        db,
        """
        CREATE TABLE accounts (
            crm_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            arr REAL NOT NULL CHECK (arr >= 0),
            plan TEXT,
            industry TEXT,
            setting TEXT,
            employees INTEGER,
            region TEXT,
            country TEXT,
            use_case TEXT,
            owner TEXT,
            health TEXT,
            health_score REAL,
            nps REAL,
            renewal_date TEXT,
            contract_start TEXT,
            potential_arr REAL,
            strategic INTEGER NOT NULL DEFAULT 0 CHECK (strategic IN (0, 1)),
            extra TEXT,
            updated_at TEXT
        );

        -- Full-text index of account names for lookup by partial or misspelt name. It is an
        -- external-content table: inserts are indexed in bulk by the store (a per-row trigger
        -- made a million-row import five times slower); updates and deletes by triggers.
        CREATE VIRTUAL TABLE accounts_fts USING fts5(
            name,
            content='accounts',
            content_rowid='rowid',
            tokenize='unicode61 remove_diacritics 2',
            detail=none,
            columnsize=0
        );
        CREATE TRIGGER accounts_fts_update AFTER UPDATE OF name ON accounts BEGIN
            INSERT INTO accounts_fts(accounts_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
            INSERT INTO accounts_fts(rowid, name) VALUES (new.rowid, new.name);
        END;
        CREATE VIRTUAL TABLE accounts_fts_terms USING fts5vocab(accounts_fts, 'row');

        CREATE TABLE csms (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            email TEXT,
            slack_user_id TEXT,
            role TEXT NOT NULL DEFAULT 'csm',
            region TEXT,
            capacity_hours REAL CHECK (capacity_hours IS NULL OR capacity_hours >= 0),
            annual_cost REAL CHECK (annual_cost IS NULL OR annual_cost >= 0),
            manager TEXT,
            specialties TEXT,
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            extra TEXT,
            updated_at TEXT
        );

        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            file_name TEXT NOT NULL,
            file_sha256 TEXT NOT NULL,
            rows_read INTEGER NOT NULL,
            created INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            skipped INTEGER NOT NULL,
            warnings INTEGER NOT NULL,
            mapping TEXT NOT NULL,
            options TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        );

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            before TEXT,
            after TEXT
        );
        CREATE INDEX audit_log_entity ON audit_log(entity);

        -- Counters that let long-running processes know when their in-memory copies are stale.
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        INSERT INTO meta(key, value) VALUES ('accounts_version', '0'), ('csms_version', '0');
        """,
    )
    db.execute(ACCOUNTS_FTS_DELETE_TRIGGER)


@migration
def m002_tiering(db: Database) -> None:
    execute_statements(
        db,
        """
        -- Rule sets as data: the exchange-format YAML, its state and who touched it.
        CREATE TABLE rule_sets (
            name TEXT PRIMARY KEY,
            description TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'active', 'archived')),
            definition TEXT NOT NULL,
            source TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL
        );
        CREATE UNIQUE INDEX rule_sets_one_active ON rule_sets(state) WHERE state = 'active';

        -- Which rule set took effect when: answers "which rules were active on this date".
        CREATE TABLE rule_set_activations (
            id INTEGER PRIMARY KEY,
            rule_set TEXT NOT NULL REFERENCES rule_sets(name),
            effective_date TEXT NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL
        );

        -- Each `tiers apply`.
        CREATE TABLE tier_runs (
            id INTEGER PRIMARY KEY,
            rule_set TEXT NOT NULL,
            as_of TEXT NOT NULL,
            accounts_version INTEGER NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            accounts INTEGER NOT NULL,
            changed INTEGER NOT NULL,
            untiered INTEGER NOT NULL
        );

        -- Each account's tier under the rules at the latest run (overrides are applied by the view).
        CREATE TABLE tier_assignments (
            crm_id TEXT PRIMARY KEY,
            tier TEXT,
            rule INTEGER NOT NULL,
            rule_label TEXT,
            rule_set TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            assigned_at TEXT NOT NULL
        );

        -- Every change of an account's tier: by a run, an override, or an override clearing.
        CREATE TABLE tier_history (
            id INTEGER PRIMARY KEY,
            crm_id TEXT NOT NULL,
            tier TEXT,
            previous_tier TEXT,
            rule_set TEXT,
            reason TEXT,
            source TEXT NOT NULL CHECK (source IN ('rules', 'override', 'override cleared')),
            at TEXT NOT NULL,
            actor TEXT NOT NULL
        );
        CREATE INDEX tier_history_account ON tier_history(crm_id, id);

        -- Tiers set by hand; an override ends when cleared or after `until`.
        CREATE TABLE tier_overrides (
            id INTEGER PRIMARY KEY,
            crm_id TEXT NOT NULL,
            tier TEXT NOT NULL,
            reason TEXT NOT NULL,
            until TEXT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            cleared_at TEXT,
            cleared_by TEXT
        );
        CREATE INDEX tier_overrides_account ON tier_overrides(crm_id);

        -- The tier to show and export: an override in force beats the rules. It expires by
        -- itself: `until` is compared with today's date whenever the view is read.
        CREATE VIEW account_tiers AS
        SELECT
            a.crm_id,
            a.name,
            COALESCE(o.tier, t.tier) AS tier,
            CASE WHEN o.tier IS NOT NULL THEN 'override: ' || o.reason ELSE t.rule_label END AS rule,
            t.rule_set
        FROM accounts a
        LEFT JOIN tier_assignments t ON t.crm_id = a.crm_id
        LEFT JOIN tier_overrides o
            ON o.crm_id = a.crm_id
            AND o.cleared_at IS NULL
            AND (o.until IS NULL OR o.until >= date('now'));
        """,
    )


@migration
def m003_account_provenance(db: Database) -> None:
    # What created each account (an import or the demo), so an account's audit trail starts
    # with its creation without one audit row per account of a million-row import.
    db.execute("ALTER TABLE accounts ADD COLUMN created_by TEXT")


@migration
def m004_slack(db: Database) -> None:
    execute_statements(
        db,
        """
        -- Roles granted by hand to a Slack user (U…/W…) or user group (S…). The roster's `role`
        -- column grants the CSM's own Slack user a role too; a person's roles are the union.
        CREATE TABLE role_grants (
            subject TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('leader', 'manager', 'csm', 'admin')),
            granted_by TEXT NOT NULL,
            granted_at TEXT NOT NULL,
            PRIMARY KEY (subject, role)
        );

        -- Slack requests already acted on (event ids, request signatures, button effects), so a
        -- retried event, a replayed request or a double click has one effect. Pruned after a day.
        CREATE TABLE slack_seen (
            key TEXT PRIMARY KEY,
            seen_at REAL NOT NULL
        );
        CREATE INDEX slack_seen_age ON slack_seen(seen_at);

        -- Workload survey rounds: one open at a time, asking every active CSM for a period.
        CREATE TABLE workload_rounds (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL,
            channel TEXT,
            started_by TEXT NOT NULL,
            started_at TEXT NOT NULL,
            closed_by TEXT,
            closed_at TEXT
        );

        -- Who a round asked, where the DM went, and the reminders sent.
        CREATE TABLE workload_requests (
            round_id INTEGER NOT NULL REFERENCES workload_rounds(id),
            csm_id TEXT NOT NULL,
            slack_user_id TEXT,
            channel TEXT,
            ts TEXT,
            asked_at TEXT NOT NULL,
            reminders INTEGER NOT NULL DEFAULT 0,
            reminded_at TEXT,
            PRIMARY KEY (round_id, csm_id)
        );

        -- A CSM's weekly hours by activity and perceived capacity, one entry per CSM and period;
        -- submitting again in the same period updates it.
        CREATE TABLE workload_submissions (
            csm_id TEXT NOT NULL,
            period TEXT NOT NULL,
            onboarding REAL NOT NULL CHECK (onboarding >= 0),
            qbrs REAL NOT NULL CHECK (qbrs >= 0),
            escalations REAL NOT NULL CHECK (escalations >= 0),
            renewals REAL NOT NULL CHECK (renewals >= 0),
            internal REAL NOT NULL CHECK (internal >= 0),
            other REAL NOT NULL CHECK (other >= 0),
            capacity_hours REAL NOT NULL CHECK (capacity_hours >= 0),
            note TEXT,
            round_id INTEGER,
            submitted_by TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            revisions INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (csm_id, period)
        );

        -- Account handoffs. Requested from Slack and decided by a manager or leader; later
        -- states (scheduled … completed) belong to transition plans.
        CREATE TABLE handoffs (
            id INTEGER PRIMARY KEY,
            crm_id TEXT NOT NULL,
            from_csm TEXT,
            to_csm TEXT NOT NULL,
            reason TEXT NOT NULL,
            effective_date TEXT,
            state TEXT NOT NULL DEFAULT 'proposed' CHECK (state IN (
                'proposed', 'approved', 'rejected', 'scheduled', 'customer notified',
                'introduced', 'completed', 'cancelled'
            )),
            requested_by TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX handoffs_state ON handoffs(state);
        -- One request waiting per account: a second one is refused, not queued silently.
        CREATE UNIQUE INDEX handoffs_one_waiting ON handoffs(crm_id) WHERE state = 'proposed';

        -- Every state change of a handoff: who, when and why.
        CREATE TABLE handoff_events (
            id INTEGER PRIMARY KEY,
            handoff_id INTEGER NOT NULL REFERENCES handoffs(id),
            state TEXT NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            note TEXT
        );

        -- Multi-workspace installs (OAuth): every install (kind 'installation') and the bot it
        -- brought (kind 'bot'), newest last, each record whole as JSON.
        CREATE TABLE slack_installations (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('installation', 'bot')),
            client_id TEXT NOT NULL,
            enterprise_id TEXT,
            team_id TEXT,
            user_id TEXT,
            installed_at REAL NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX slack_installations_team ON slack_installations(kind, client_id, enterprise_id, team_id);

        -- OAuth `state` values handed out by /slack/install, each usable once before it expires.
        CREATE TABLE slack_oauth_states (
            state TEXT PRIMARY KEY,
            expires_at REAL NOT NULL
        );
        """,
    )


@migration
def m005_handoff_records(db: Database) -> None:
    execute_statements(
        db,
        """
        -- What the guardrails said when the handoff was proposed or last decided (JSON list), the
        -- leader's exception when one was needed, and the managers' channel message (its thread
        -- holds the discussion).
        ALTER TABLE handoffs ADD COLUMN guardrails TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE handoffs ADD COLUMN exception_note TEXT;
        ALTER TABLE handoffs ADD COLUMN exception_by TEXT;
        ALTER TABLE handoffs ADD COLUMN channel TEXT;
        ALTER TABLE handoffs ADD COLUMN ts TEXT;

        -- The discussion of a handoff: replies in its Slack thread, kept with the record.
        CREATE TABLE handoff_comments (
            id INTEGER PRIMARY KEY,
            handoff_id INTEGER NOT NULL REFERENCES handoffs(id),
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            ts TEXT NOT NULL,
            at TEXT NOT NULL,
            edited_at TEXT,
            UNIQUE (handoff_id, ts)
        );

        -- Settings people change from the command line (guardrails, channels), as JSON values.
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    )


@migration
def m006_customer_notes(db: Database) -> None:
    execute_statements(
        db,
        """
        -- Whom a handoff note is addressed to.
        ALTER TABLE accounts ADD COLUMN contact_name TEXT;
        ALTER TABLE accounts ADD COLUMN contact_email TEXT;

        -- Customer transition notes: each draft (template, model, or a person's edit) with what the
        -- validator said, and its approval. Nothing is sent without approved_by.
        CREATE TABLE handoff_drafts (
            id INTEGER PRIMARY KEY,
            handoff_id INTEGER NOT NULL REFERENCES handoffs(id),
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('template', 'model', 'edited')),
            model TEXT,
            prompt_version TEXT NOT NULL,
            valid INTEGER NOT NULL CHECK (valid IN (0, 1)),
            problems TEXT NOT NULL DEFAULT '[]',
            fallback TEXT,
            state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'approved', 'discarded', 'sent')),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            decided_at TEXT,
            decided_by TEXT,
            sent_at TEXT,
            sent_by TEXT,
            channel TEXT,
            ts TEXT,
            CHECK (state NOT IN ('approved', 'sent') OR decided_by IS NOT NULL),
            CHECK (state != 'sent' OR sent_by IS NOT NULL)
        );
        CREATE INDEX handoff_drafts_handoff ON handoff_drafts(handoff_id, id);
        """,
    )


@migration
def m007_transition_plans(db: Database) -> None:
    execute_statements(
        db,
        """
        -- Transition plans: proposed moves placed in dated weekly batches, approved as a whole or
        -- line by line (each approved line becomes a handoff).
        CREATE TABLE handoff_plans (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            start_date TEXT NOT NULL,
            weekly_limit INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            channel TEXT,
            ts TEXT
        );
        CREATE TABLE handoff_plan_lines (
            plan_id INTEGER NOT NULL REFERENCES handoff_plans(id),
            line INTEGER NOT NULL,
            crm_id TEXT NOT NULL,
            from_csm TEXT,
            to_csm TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('planned', 'held', 'approved', 'rejected')),
            batch INTEGER,
            effective_date TEXT,
            check_in_date TEXT,
            guardrails TEXT NOT NULL DEFAULT '[]',
            note TEXT NOT NULL DEFAULT '',
            handoff_id INTEGER REFERENCES handoffs(id),
            decided_by TEXT,
            decided_at TEXT,
            PRIMARY KEY (plan_id, line)
        );

        -- Check-ins sent (a reminder to the new CSM, a report per batch), each once.
        CREATE TABLE handoff_checkins (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('reminder', 'batch report')),
            sent_at TEXT NOT NULL,
            sent_by TEXT NOT NULL
        );

        -- When an approved handoff was announced in the team channel's digest.
        ALTER TABLE handoffs ADD COLUMN announced_at TEXT;
        """,
    )


@migration
def m008_account_name_keys(db: Database) -> None:
    execute_statements(
        db,
        """
        -- Every account name by its key (folded words, legal suffix dropped: "globex" for "Globex
        -- GmbH"), so a customer note is checked against the whole account list with a few index
        -- lookups. Rebuilt from accounts when meta.accounts_version moves past name_keys_version.
        CREATE TABLE account_name_keys (
            key TEXT NOT NULL,
            name TEXT NOT NULL
        );
        CREATE INDEX account_name_keys_key ON account_name_keys(key);
        INSERT INTO meta(key, value) VALUES ('name_keys_version', '-1');
        """,
    )


@migration
def m009_note_records(db: Database) -> None:
    execute_statements(
        db,
        """
        -- The name-key index follows account names only, not every owner change.
        INSERT OR IGNORE INTO meta(key, value) VALUES ('names_version', '0');

        -- A note keeps whom it was written to and from, and in which style, as drafted: later
        -- changes to the account or the roster do not re-address a note someone approved.
        ALTER TABLE handoff_drafts ADD COLUMN style TEXT;
        ALTER TABLE handoff_drafts ADD COLUMN to_name TEXT;
        ALTER TABLE handoff_drafts ADD COLUMN to_email TEXT;
        ALTER TABLE handoff_drafts ADD COLUMN from_name TEXT;
        ALTER TABLE handoff_drafts ADD COLUMN from_email TEXT;
        """,
    )


@migration
def m010_values_as_written(db: Database) -> None:
    execute_statements(
        db,
        """
        -- The roster's job titles, as the customer note signs them.
        ALTER TABLE csms ADD COLUMN title TEXT;
        -- The cells of an account that its CRM file wrote otherwise than the column's usual form
        -- (JSON: field -> [cell as written, value as read]), so an export writes them back as they
        -- came while the value is unchanged. Most accounts have none.
        ALTER TABLE accounts ADD COLUMN written TEXT;
        """,
    )


@migration
def m011_outbox(db: Database) -> None:
    execute_statements(
        db,
        """
        -- What must still happen after a decision or a request (a note drafted and sent, DMs, a
        -- channel message updated, a reply): written in the same transaction as the decision,
        -- then delivered by whoever runs `tierbot serve` (or the command that made it), once.
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'done', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            due_at REAL NOT NULL,
            claimed_by TEXT,
            lease_until REAL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            done_at TEXT,
            result TEXT,
            error TEXT
        );
        CREATE INDEX outbox_due ON outbox(state, due_at);
        """,
    )


@migration
def m012_book_copies(db: Database) -> None:
    execute_statements(
        db,
        """
        -- Each account's place in the ARR ranking (the derived fields rules read: share of ARR
        -- down to it, share of accounts, percentile), kept for the ARR version in meta
        -- `account_ranks_of` so explaining one account reads one row, not every ARR.
        CREATE TABLE account_ranks (
            crm_id TEXT PRIMARY KEY,
            arr_share_rank REAL,
            account_share_rank REAL,
            arr_percentile REAL
        ) WITHOUT ROWID;
        -- Every version counter gets a random token: caches outside the store (the columnar
        -- copy of the book beside it) are keyed by it, never by a number another store shares.
        INSERT OR REPLACE INTO meta(key, value)
            SELECT key || ':token', lower(hex(randomblob(12))) FROM meta WHERE key LIKE '%_version';
        INSERT OR REPLACE INTO meta(key, value) VALUES ('arr_version', '1');
        INSERT OR REPLACE INTO meta(key, value) VALUES ('arr_version:token', lower(hex(randomblob(12))));
        INSERT OR REPLACE INTO meta(key, value) VALUES ('tiers_version', '1');
        INSERT OR REPLACE INTO meta(key, value) VALUES ('tiers_version:token', lower(hex(randomblob(12))));
        """,
    )
