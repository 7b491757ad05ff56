"""leaver_months: the leavers of closed months kept as counted, marked by the database itself
when their data change (issue 42: a recount does not repeat history); the leavers' covering
index with the case's id

A closed month's leaver figures depend on the data alone (db.results.kept_months). Which data:
the case (status, dates, entry data, end reason, six-month answer, client), the client's gender
and the case's exit outcomes. Every insert, update and delete of those rows marks the month of
the case's end – the old one and the new one – in leaver_month_marks, by trigger: whatever
writes (the app, the import, an erasure, a statement by hand), the month is counted anew.

Revision ID: 0018
Revises: 0017d
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017d"
branch_labels = None
depends_on = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


# Triggers by name, for the downgrade and for tests/test_kept_months.py (a later migration that
# rebuilds one of these tables in SQLite's batch mode drops its triggers: the test finds that).
SQLITE_TRIGGERS = {
    "leaver_months_case_insert": """
        AFTER INSERT ON cases WHEN NEW.end_date IS NOT NULL BEGIN
            INSERT INTO leaver_month_marks (month) VALUES (date(NEW.end_date, 'start of month'));
        END""",
    "leaver_months_case_update": """
        AFTER UPDATE ON cases BEGIN
            INSERT INTO leaver_month_marks (month)
                SELECT date(OLD.end_date, 'start of month') WHERE OLD.end_date IS NOT NULL;
            INSERT INTO leaver_month_marks (month)
                SELECT date(NEW.end_date, 'start of month') WHERE NEW.end_date IS NOT NULL
                AND date(NEW.end_date, 'start of month') IS NOT date(OLD.end_date, 'start of month');
        END""",
    "leaver_months_case_delete": """
        AFTER DELETE ON cases WHEN OLD.end_date IS NOT NULL BEGIN
            INSERT INTO leaver_month_marks (month) VALUES (date(OLD.end_date, 'start of month'));
        END""",
    "leaver_months_outcome_insert": """
        AFTER INSERT ON exit_outcomes BEGIN
            INSERT INTO leaver_month_marks (month) SELECT date(end_date, 'start of month')
                FROM cases WHERE id = NEW.case_id AND end_date IS NOT NULL;
        END""",
    "leaver_months_outcome_update": """
        AFTER UPDATE ON exit_outcomes BEGIN
            INSERT INTO leaver_month_marks (month) SELECT date(end_date, 'start of month')
                FROM cases WHERE id IN (OLD.case_id, NEW.case_id) AND end_date IS NOT NULL;
        END""",
    "leaver_months_outcome_delete": """
        AFTER DELETE ON exit_outcomes BEGIN
            INSERT INTO leaver_month_marks (month) SELECT date(end_date, 'start of month')
                FROM cases WHERE id = OLD.case_id AND end_date IS NOT NULL;
        END""",
    "leaver_months_client_update": """
        AFTER UPDATE ON clients BEGIN
            INSERT INTO leaver_month_marks (month) SELECT DISTINCT date(end_date, 'start of month')
                FROM cases WHERE client_id IN (OLD.id, NEW.id) AND end_date IS NOT NULL;
        END""",
}

_MONTH = "CAST(date_trunc('month', {0}) AS DATE)"
POSTGRES_FUNCTIONS = {
    "leaver_months_mark_case": f"""
        BEGIN
            IF TG_OP <> 'INSERT' AND OLD.end_date IS NOT NULL THEN
                INSERT INTO leaver_month_marks (month) VALUES ({_MONTH.format("OLD.end_date")});
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.end_date IS NOT NULL THEN
                IF TG_OP = 'INSERT' OR OLD.end_date IS NULL
                   OR {_MONTH.format("NEW.end_date")} <> {_MONTH.format("OLD.end_date")} THEN
                    INSERT INTO leaver_month_marks (month) VALUES ({_MONTH.format("NEW.end_date")});
                END IF;
            END IF;
            RETURN NULL;
        END""",
    "leaver_months_mark_outcome": f"""
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                INSERT INTO leaver_month_marks (month) SELECT {_MONTH.format("end_date")}
                    FROM cases WHERE id = OLD.case_id AND end_date IS NOT NULL;
            END IF;
            IF TG_OP <> 'DELETE' THEN
                INSERT INTO leaver_month_marks (month) SELECT {_MONTH.format("end_date")}
                    FROM cases WHERE id = NEW.case_id AND end_date IS NOT NULL;
            END IF;
            RETURN NULL;
        END""",
    "leaver_months_mark_client": f"""
        BEGIN
            INSERT INTO leaver_month_marks (month) SELECT DISTINCT {_MONTH.format("end_date")}
                FROM cases WHERE client_id IN (OLD.id, NEW.id) AND end_date IS NOT NULL;
            RETURN NULL;
        END""",
    # TRUNCATE fires no row trigger: everything kept is forgotten instead.
    "leaver_months_forget": """
        BEGIN
            DELETE FROM leaver_months;
            DELETE FROM leaver_months_counted;
            RETURN NULL;
        END""",
}
POSTGRES_TRIGGERS = {
    "leaver_months_case": "AFTER INSERT OR UPDATE OR DELETE ON cases FOR EACH ROW "
                          "EXECUTE FUNCTION leaver_months_mark_case()",
    "leaver_months_outcome": "AFTER INSERT OR UPDATE OR DELETE ON exit_outcomes FOR EACH ROW "
                             "EXECUTE FUNCTION leaver_months_mark_outcome()",
    "leaver_months_client": "AFTER UPDATE ON clients FOR EACH ROW EXECUTE FUNCTION leaver_months_mark_client()",
    "leaver_months_truncate_cases": "AFTER TRUNCATE ON cases FOR EACH STATEMENT "
                                    "EXECUTE FUNCTION leaver_months_forget()",
    "leaver_months_truncate_clients": "AFTER TRUNCATE ON clients FOR EACH STATEMENT "
                                      "EXECUTE FUNCTION leaver_months_forget()",
    "leaver_months_truncate_outcomes": "AFTER TRUNCATE ON exit_outcomes FOR EACH STATEMENT "
                                       "EXECUTE FUNCTION leaver_months_forget()",
}
TRIGGER_TABLES = {"leaver_months_case": "cases", "leaver_months_outcome": "exit_outcomes",
                  "leaver_months_client": "clients", "leaver_months_truncate_cases": "cases",
                  "leaver_months_truncate_clients": "clients", "leaver_months_truncate_outcomes": "exit_outcomes"}


LEAVERS = ["status", "end_date", "entry_complete", "start_date", "client_id", "end_reason", "follow_up_result"]


def upgrade() -> None:
    # The leavers read from the index alone on PostgreSQL too: with the case's id.
    op.drop_index("ix_cases_leavers", table_name="cases")
    op.create_index("ix_cases_leavers_id", "cases", [*LEAVERS, "id"])
    op.create_table(
        "leaver_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("gender", _enum("female", "male", "diverse", name="gender"), nullable=True),
        sa.Column("end_reason", _enum("follow_up_completed", "training", "withdrawn", "no_contact", "moved",
                                      "health", "other", name="endreason"), nullable=True),
        sa.Column("result", _enum("job_seeking", "education", "qualification", "employed", "self_employed",
                                  "minijob", "other", name="exitresult"), nullable=True),
        sa.Column("follow_up_result", _enum("employed", "minijob", "improved", "not_employed", "unreachable",
                                            name="followupresult"),
                  nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaver_months")),
    )
    op.create_index(op.f("ix_leaver_months_month"), "leaver_months", ["month"])
    op.create_table(
        "leaver_months_counted",
        sa.Column("month", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_leaver_months_counted")),
    )
    op.create_table(
        "leaver_month_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaver_month_marks")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        for name, body in POSTGRES_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$")
        for name, body in POSTGRES_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, table in TRIGGER_TABLES.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in POSTGRES_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("leaver_month_marks")
    op.drop_table("leaver_months_counted")
    op.drop_index(op.f("ix_leaver_months_month"), table_name="leaver_months")
    op.drop_table("leaver_months")
    op.drop_index("ix_cases_leavers_id", table_name="cases")
    op.create_index("ix_cases_leavers", "cases", LEAVERS)
