"""general outbox, applications, typed follow-up

The SMS-shaped outbox becomes a general one (kind, payload, our own status beside the
provider's); conversations get their application (candidate x posting) and a typed
follow-up reason with the old text kept as its note. Existing rows are carried forward.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

import receptionist.adapters.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

UTC = receptionist.adapters.models.UTCDateTime
BATCH = 1000

# Old free-text follow-up reasons (written by 0002-era code) -> the typed reason.
_REASONS = [("caller hung up", "hung_up"), ("no answer understood", "not_understood"),
            ("name not captured", "name_not_captured"), ("details not confirmed", "details_unconfirmed"),
            ("expired", "sms_expired")]
_OUTCOMES = {"completed": "qualified", "knocked_out": "knocked_out", "abandoned": "incomplete",
             "in_progress": "in_progress"}


def _old_outbox_row_to_new(row) -> dict:
    """One 0002 outbox row as a 0003 row: Twilio's statuses move to ``provider_status``."""
    status, sid = row.status, row.provider_sid
    new = {"id": row.id, "kind": "sms", "purpose": row.purpose, "idempotency_key": row.idempotency_key,
           "payload": {"to": row.to_number, "from": row.from_number, "body": row.body},
           "recipient": row.to_number, "agent_id": row.agent_id, "candidate_id": row.candidate_id,
           "conversation_id": row.conversation_id, "application_id": None, "attempts": row.attempts,
           "last_error": row.error_message, "next_attempt_at": None, "provider_ref": sid,
           "provider_status": None, "provider_error_code": None, "created_at": row.created_at,
           "updated_at": row.updated_at, "sent_at": row.sent_at}
    if status in ("pending", "sending"):
        new["status"] = status
    elif status == "refused":
        new["status"] = "cancelled"
    elif status == "failed" and not sid:
        new["status"] = "failed"  # we gave up before Twilio had it
        new["provider_error_code"] = row.error_code
    else:  # queued, sent, delivered, undelivered, or failed as reported by Twilio
        new["status"] = "sent"
        new["provider_status"] = status
        new["provider_error_code"] = row.error_code
    return new


def _outbox_table(name: str) -> list:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('purpose', sa.String(length=40), nullable=False),
        sa.Column('idempotency_key', sa.String(length=160), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('recipient', sa.String(length=320), nullable=True),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('candidate_id', sa.Integer(), nullable=True),
        sa.Column('conversation_id', sa.Integer(), nullable=True),
        sa.Column('application_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', 'cancelled', name='outboxstatus',
                                    native_enum=False, length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('next_attempt_at', UTC(timezone=True), nullable=True),
        sa.Column('provider_ref', sa.String(length=64), nullable=True),
        sa.Column('provider_status', sa.String(length=32), nullable=True),
        sa.Column('provider_error_code', sa.Integer(), nullable=True),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('updated_at', UTC(timezone=True), nullable=False),
        sa.Column('sent_at', UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f(f'fk_{name}_agent_id_agents')),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f(f'fk_{name}_candidate_id_candidates')),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                                name=op.f(f'fk_{name}_conversation_id_conversations')),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f(f'fk_{name}_application_id_applications')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
        sa.UniqueConstraint('idempotency_key', name=op.f(f'uq_{name}_idempotency_key')),
        sa.UniqueConstraint('provider_ref', name=op.f(f'uq_{name}_provider_ref')),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    now = dt.datetime.now(dt.timezone.utc)

    # --- applications: one per candidate and posting, from the conversations that picked one
    op.create_table(
        'applications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('posting_id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('screening_outcome', sa.Enum('in_progress', 'qualified', 'knocked_out', 'incomplete',
                                               name='screeningoutcome', native_enum=False, length=20), nullable=False),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('duplicate_check', sa.Enum('not_started', 'pending', 'clear', 'duplicate', name='duplicatecheck',
                                             native_enum=False, length=20), nullable=False),
        sa.Column('routing', sa.Enum('not_routed', 'pending_approval', 'approved', 'invited', 'dismissed',
                                     name='routingstate', native_enum=False, length=20), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('updated_at', UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_applications_agent_id_agents')),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_applications_candidate_id_candidates')),
        sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_applications_posting_id_postings')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
        sa.UniqueConstraint('candidate_id', 'posting_id', name=op.f('uq_applications_candidate_id')),
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_posting_id'), ['posting_id'], unique=False)
        batch_op.create_index('ix_applications_routing_updated', ['routing', 'updated_at'], unique=False)

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('follow_up_note', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_conversations_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_conversations_application_id_applications'), 'applications',
                                    ['application_id'], ['id'])

    conversations = sa.table('conversations', sa.column('id'), sa.column('candidate_id'), sa.column('posting_id'),
                             sa.column('agent_id'), sa.column('status'), sa.column('started_at', UTC()),
                             sa.column('application_id'), sa.column('needs_follow_up'),
                             sa.column('follow_up_reason'), sa.column('follow_up_note'))
    applications = sa.table('applications', sa.column('id'), sa.column('candidate_id'), sa.column('posting_id'),
                            sa.column('agent_id'), sa.column('screening_outcome'), sa.column('duplicate_check'),
                            sa.column('routing'), sa.column('created_at', UTC()), sa.column('updated_at', UTC()))
    latest: dict[tuple[int, int], sa.Row] = {}
    firsts: dict[tuple[int, int], dt.datetime] = {}
    for row in bind.execute(sa.select(conversations).where(conversations.c.posting_id.is_not(None))
                            .order_by(conversations.c.started_at, conversations.c.id)):
        key = (row.candidate_id, row.posting_id)
        firsts.setdefault(key, row.started_at)
        latest[key] = row
    for key, row in latest.items():
        app_id = bind.execute(sa.insert(applications).values(
            candidate_id=key[0], posting_id=key[1], agent_id=row.agent_id,
            screening_outcome=_OUTCOMES.get(row.status, "in_progress"), duplicate_check="not_started",
            routing="not_routed", created_at=firsts[key], updated_at=now).returning(applications.c.id)).scalar_one()
        bind.execute(sa.update(conversations).where(conversations.c.candidate_id == key[0],
                                                    conversations.c.posting_id == key[1])
                     .values(application_id=app_id))

    # --- follow-up: the old text becomes the note, the reason becomes typed
    bind.execute(sa.update(conversations).where(conversations.c.needs_follow_up.is_(True))
                 .values(follow_up_note=conversations.c.follow_up_reason))
    bind.execute(sa.update(conversations).where(conversations.c.needs_follow_up.is_not(True))
                 .values(follow_up_reason=None))
    for fragment, reason in _REASONS:
        bind.execute(sa.update(conversations).where(conversations.c.needs_follow_up.is_(True),
                                                    conversations.c.follow_up_note.like(f"%{fragment}%"))
                     .values(follow_up_reason=reason))
    bind.execute(sa.update(conversations)  # any other text: a recruiter reads the note
                 .where(conversations.c.needs_follow_up.is_(True),
                        conversations.c.follow_up_reason.not_in([r for _, r in _REASONS]))
                 .values(follow_up_reason="not_understood"))
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.alter_column('follow_up_reason', existing_type=sa.String(length=200),
                              type_=sa.String(length=20), existing_nullable=True)
        batch_op.drop_column('needs_follow_up')

    # --- outbox: copy out, rebuild general, copy back (ids kept: RQ job ids name them)
    old = sa.table('outbox', *[sa.column(c) for c in (
        'id', 'agent_id', 'candidate_id', 'conversation_id', 'to_number', 'from_number', 'body', 'purpose',
        'idempotency_key', 'status', 'provider_sid', 'error_code', 'error_message', 'attempts')],
        sa.column('created_at', UTC()), sa.column('updated_at', UTC()), sa.column('sent_at', UTC()))
    rows = [_old_outbox_row_to_new(r) for r in bind.execute(sa.select(old).order_by(old.c.id))]
    op.drop_table('outbox')
    new = op.create_table('outbox', *_outbox_table('outbox'))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_outbox_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_outbox_recipient_created', ['recipient', 'created_at'], unique=False)
    for i in range(0, len(rows), BATCH):
        op.bulk_insert(new, rows[i:i + BATCH])
    if rows and bind.dialect.name == "postgresql":  # ids were inserted explicitly
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('outbox', 'id'), (SELECT max(id) FROM outbox))"))


def downgrade() -> None:
    bind = op.get_bind()
    new = sa.table('outbox', *[sa.column(c) for c in (
        'id', 'kind', 'purpose', 'idempotency_key', 'recipient', 'agent_id', 'candidate_id',
        'conversation_id', 'status', 'attempts', 'last_error', 'provider_ref', 'provider_status',
        'provider_error_code')], sa.column('payload', sa.JSON()), sa.column('created_at', UTC()),
        sa.column('updated_at', UTC()), sa.column('sent_at', UTC()))
    rows = []
    for r in bind.execute(sa.select(new).where(new.c.kind == "sms").order_by(new.c.id)):
        status = {"cancelled": "refused", "sent": r.provider_status or "sent"}.get(r.status, r.status)
        rows.append({"id": r.id, "agent_id": r.agent_id, "candidate_id": r.candidate_id,
                     "conversation_id": r.conversation_id, "to_number": r.payload["to"],
                     "from_number": r.payload["from"], "body": r.payload["body"], "purpose": r.purpose,
                     "idempotency_key": r.idempotency_key, "status": status, "provider_sid": r.provider_ref,
                     "error_code": r.provider_error_code, "error_message": r.last_error, "attempts": r.attempts,
                     "created_at": r.created_at, "updated_at": r.updated_at, "sent_at": r.sent_at})
    op.drop_table('outbox')
    old = op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('candidate_id', sa.Integer(), nullable=True),
        sa.Column('conversation_id', sa.Integer(), nullable=True),
        sa.Column('to_number', sa.String(length=16), nullable=False),
        sa.Column('from_number', sa.String(length=16), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('purpose', sa.String(length=40), nullable=False),
        sa.Column('idempotency_key', sa.String(length=160), nullable=False),
        sa.Column('status', sa.Enum('pending', 'sending', 'refused', 'queued', 'sent', 'delivered', 'undelivered',
                                    'failed', name='outboxstatus', native_enum=False, length=20), nullable=False),
        sa.Column('provider_sid', sa.String(length=64), nullable=True),
        sa.Column('error_code', sa.Integer(), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('updated_at', UTC(timezone=True), nullable=False),
        sa.Column('sent_at', UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_outbox_agent_id_agents')),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_outbox_candidate_id_candidates')),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                                name=op.f('fk_outbox_conversation_id_conversations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_idempotency_key')),
        sa.UniqueConstraint('provider_sid', name=op.f('uq_outbox_provider_sid')),
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index('ix_outbox_status_created', ['status', 'created_at'], unique=False)
    for i in range(0, len(rows), BATCH):
        op.bulk_insert(old, rows[i:i + BATCH])

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_follow_up', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.alter_column('follow_up_reason', existing_type=sa.String(length=20), type_=sa.String(length=200),
                              existing_nullable=True)
    conversations = sa.table('conversations', sa.column('needs_follow_up'), sa.column('follow_up_reason'),
                             sa.column('follow_up_note'))
    bind.execute(sa.update(conversations).where(conversations.c.follow_up_reason.is_not(None))
                 .values(needs_follow_up=True, follow_up_reason=conversations.c.follow_up_note))
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_conversations_application_id_applications'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_conversations_application_id'))
        batch_op.drop_column('application_id')
        batch_op.drop_column('follow_up_note')
    op.drop_table('applications')
