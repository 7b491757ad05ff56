"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_number', sa.String(length=32), nullable=False),
    sa.Column('first_name', sa.String(length=120), nullable=False),
    sa.Column('last_name', sa.String(length=120), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('town', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('consent_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients')),
    sa.UniqueConstraint('client_number', name=op.f('uq_clients_client_number'))
    )
    op.create_table('employers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.String(length=120), nullable=True),
    sa.Column('town', sa.String(length=120), nullable=True),
    sa.Column('contact_person', sa.String(length=120), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employers')),
    sa.UniqueConstraint('name', name=op.f('uq_employers_name'))
    )
    op.create_table('office_hour_locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('town', sa.String(length=120), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=True),
    sa.Column('status', sa.Enum('running', 'planned', name='locationstatus', native_enum=False, length=32), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('weekday', sa.Integer(), nullable=True),
    sa.Column('time_from', sa.Time(), nullable=True),
    sa.Column('time_to', sa.Time(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_hour_locations')),
    sa.UniqueConstraint('town', name=op.f('uq_office_hour_locations_town'))
    )
    op.create_table('plan_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Enum('active_cases', 'first_interviews', 'referrals', name='planmetric', native_enum=False, length=32), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_targets')),
    sa.UniqueConstraint('metric', 'period_start', name='metric_period')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('role', sa.Enum('admin', 'lead', 'companion', 'case_manager', 'council', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_user_id'), ['user_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('companion_id', sa.Integer(), nullable=True),
    sa.Column('case_manager_id', sa.Integer(), nullable=True),
    sa.Column('referral_source', sa.Enum('case_manager', 'client_request', name='referralsource', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('referred', 'interview_planned', 'active', 'employed', 'closed', 'declined', 'no_show', name='casestatus', native_enum=False, length=32), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('first_interview_at', sa.DateTime(), nullable=True),
    sa.Column('first_interview_location_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.Enum('follow_up_completed', 'training', 'withdrawn', 'no_contact', 'moved', 'health', 'other', name='endreason', native_enum=False, length=32), nullable=True),
    sa.Column('next_step', sa.Text(), nullable=True),
    sa.Column('next_step_due', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_manager_id'], ['users.id'], name=op.f('fk_cases_case_manager_id_users')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_cases_client_id_clients')),
    sa.ForeignKeyConstraint(['companion_id'], ['users.id'], name=op.f('fk_cases_companion_id_users')),
    sa.ForeignKeyConstraint(['first_interview_location_id'], ['office_hour_locations.id'], name=op.f('fk_cases_first_interview_location_id_office_hour_locations')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_cases_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_case_manager_id'), ['case_manager_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_companion_id'), ['companion_id'], unique=False)
        batch_op.create_index('ix_cases_next_step_due', ['next_step_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_referred_on'), ['referred_on'], unique=False)
        batch_op.create_index('ix_cases_status_companion', ['status', 'companion_id'], unique=False)

    op.create_table('office_hour_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('companion_id', sa.Integer(), nullable=True),
    sa.Column('visitors', sa.Integer(), nullable=False),
    sa.Column('first_interviews', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['companion_id'], ['users.id'], name=op.f('fk_office_hour_sessions_companion_id_users')),
    sa.ForeignKeyConstraint(['location_id'], ['office_hour_locations.id'], name=op.f('fk_office_hour_sessions_location_id_office_hour_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_hour_sessions'))
    )
    with op.batch_alter_table('office_hour_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_hour_sessions_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_office_hour_sessions_location_id'), ['location_id'], unique=False)

    op.create_table('positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('state', sa.Enum('filled', 'advertised', 'funded', name='positionstate', native_enum=False, length=32), nullable=False),
    sa.Column('funded_from', sa.Date(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['holder_id'], ['users.id'], name=op.f('fk_positions_holder_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_positions'))
    )
    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('first_interview', 'home_visit', 'workplace_visit', 'addiction_counselling', 'debt_counselling', 'authority', 'employer_contact', 'phone', 'office_hours', 'other', name='activitykind', native_enum=False, length=32), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_activities_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_activities_created_by_id_users')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_activities_employer_id_employers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_case_date', ['case_id', 'occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_occurred_on'), ['occurred_on'], unique=False)

    op.create_table('case_barriers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('barrier', sa.Enum('no_driving_licence', 'mobility', 'debt', 'addiction', 'health', 'childcare', 'language', 'qualification', 'housing', 'care_of_relatives', 'other', name='barrier', native_enum=False, length=32), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_barriers_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_barriers'))
    )
    with op.batch_alter_table('case_barriers', schema=None) as batch_op:
        batch_op.create_index('ix_case_barriers_barrier', ['barrier'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_barriers_case_id'), ['case_id'], unique=False)

    op.create_table('placements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('job_kind', sa.Enum('full_time', 'part_time', 'mini_job', 'apprenticeship', 'subsidised', name='jobkind', native_enum=False, length=32), nullable=False),
    sa.Column('job_title', sa.String(length=200), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_placements_case_id_cases')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_placements_employer_id_employers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placements'))
    )
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placements_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placements_employer_id'), ['employer_id'], unique=False)

    op.create_table('status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('referred', 'interview_planned', 'active', 'employed', 'closed', 'declined', 'no_show', name='casestatus', native_enum=False, length=32), nullable=True),
    sa.Column('to_status', sa.Enum('referred', 'interview_planned', 'active', 'employed', 'closed', 'declined', 'no_show', name='casestatus', native_enum=False, length=32), nullable=False),
    sa.Column('changed_on', sa.Date(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_status_changes_case_id_cases')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_status_changes_changed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_changes'))
    )
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_changes_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_changes_changed_on'), ['changed_on'], unique=False)


    _protect_audit_log()

def downgrade() -> None:
    _unprotect_audit_log()
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_changes_changed_on'))
        batch_op.drop_index(batch_op.f('ix_status_changes_case_id'))

    op.drop_table('status_changes')
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placements_employer_id'))
        batch_op.drop_index(batch_op.f('ix_placements_case_id'))

    op.drop_table('placements')
    with op.batch_alter_table('case_barriers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_barriers_case_id'))
        batch_op.drop_index('ix_case_barriers_barrier')

    op.drop_table('case_barriers')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activities_occurred_on'))
        batch_op.drop_index(batch_op.f('ix_activities_employer_id'))
        batch_op.drop_index('ix_activities_case_date')

    op.drop_table('activities')
    op.drop_table('positions')
    with op.batch_alter_table('office_hour_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_hour_sessions_location_id'))
        batch_op.drop_index(batch_op.f('ix_office_hour_sessions_held_on'))

    op.drop_table('office_hour_sessions')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_status_companion')
        batch_op.drop_index(batch_op.f('ix_cases_referred_on'))
        batch_op.drop_index('ix_cases_next_step_due')
        batch_op.drop_index(batch_op.f('ix_cases_companion_id'))
        batch_op.drop_index(batch_op.f('ix_cases_client_id'))
        batch_op.drop_index(batch_op.f('ix_cases_case_manager_id'))

    op.drop_table('cases')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_user_id'))
        batch_op.drop_index('ix_audit_log_entity')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    op.drop_table('users')
    op.drop_table('plan_targets')
    op.drop_table('office_hour_locations')
    op.drop_table('employers')
    op.drop_table('clients')


# The audit log is append-only: the database itself refuses UPDATE and DELETE, so no code path
# (not even a bug or a hand-written SQL statement through the app) can rewrite history.
def _protect_audit_log() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )


def _unprotect_audit_log() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
