"""Programme results: entry data, Ruhend, exit outcomes and the six-month follow-up

Closed cases from before this revision get the result the old rule derived (in work at the end
by the kind of the latest job, or training begun), dated on their end date, so published figures
do not change.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ENUM = sa.String(32)
CASE_COLUMNS = (
    "pause_reason", "entry_employment", "entry_education", "entry_household", "entry_disability",
    "entry_third_country", "entry_foreign_background", "entry_minority", "entry_homeless",
    "entry_rural", "follow_up_result",
)


def upgrade() -> None:
    # Plain ADD COLUMN (both engines support it): a batch "copy and move" of `cases` on SQLite
    # would drop the table under the foreign keys of its status changes and fail with data in it.
    op.add_column("clients", sa.Column("gender", ENUM, nullable=True))
    op.add_column("clients", sa.Column("birth_date", sa.Date(), nullable=True))
    op.add_column("clients", sa.Column("postcode", sa.String(5), nullable=True))
    for name in CASE_COLUMNS:
        op.add_column("cases", sa.Column(name, ENUM, nullable=True))
    op.add_column("cases", sa.Column("resume_on", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("entry_children", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("entry_age_band", sa.String(8), nullable=True))
    op.add_column("cases", sa.Column("entry_complete", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column("cases", sa.Column("follow_up_on", sa.Date(), nullable=True))
    op.create_index("ix_cases_status_end", "cases", ["status", "end_date"])
    op.create_table(
        "exit_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("result", ENUM, nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_exit_outcomes_case_id_cases")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_exit_outcomes_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exit_outcomes")),
    )
    op.create_index(op.f("ix_exit_outcomes_case_id"), "exit_outcomes", ["case_id"])
    # The old derived result, recorded as an event on the end date.
    op.execute("""
        INSERT INTO exit_outcomes (case_id, result, occurred_on, recorded_at)
        SELECT derived.id, derived.result, derived.end_date, CURRENT_TIMESTAMP FROM (
            SELECT c.id, c.end_date,
                   CASE WHEN (SELECT sc.from_status FROM status_changes sc
                              WHERE sc.case_id = c.id AND sc.to_status = 'closed'
                              ORDER BY sc.id DESC LIMIT 1) = 'employed' THEN
                            CASE (SELECT p.job_kind FROM placements p WHERE p.case_id = c.id
                                  ORDER BY p.start_date DESC, p.id DESC LIMIT 1)
                                WHEN 'mini_job' THEN 'minijob'
                                WHEN 'apprenticeship' THEN 'education'
                                ELSE 'employed' END
                        WHEN c.end_reason = 'training' THEN 'education'
                   END AS result
            FROM cases c
            WHERE c.status = 'closed' AND c.start_date IS NOT NULL AND c.end_date IS NOT NULL
        ) derived
        WHERE derived.result IS NOT NULL
    """)


def downgrade() -> None:
    op.drop_index("ix_cases_status_end", table_name="cases")
    op.drop_index(op.f("ix_exit_outcomes_case_id"), table_name="exit_outcomes")
    op.drop_table("exit_outcomes")
    with op.batch_alter_table("cases") as batch_op:
        for name in (*CASE_COLUMNS, "resume_on", "entry_children", "entry_age_band",
                     "entry_complete", "follow_up_on"):
            batch_op.drop_column(name)
    with op.batch_alter_table("clients") as batch_op:
        for name in ("gender", "birth_date", "postcode"):
            batch_op.drop_column(name)
