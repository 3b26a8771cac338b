"""The DDL of the plumbing tables every service database holds (outbox, inbox, handoffs,
statutory clocks), written once and called by each service's revisions.

These functions are history: a revision that calls one must build the same table on the day it
runs as on the day it was written, so they are never edited. A change to a plumbing table is a
new function here and a new revision in each service that has the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_outbox() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('exchange', sa.String(length=64), nullable=False),
    sa.Column('routing_key', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    op.create_index('ix_outbox_unpublished', 'outbox', ['published_at', 'id'], unique=False)


def drop_outbox() -> None:
    op.drop_index('ix_outbox_unpublished', table_name='outbox')
    op.drop_table('outbox')


def create_inbox() -> None:
    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id', name=op.f('pk_inbox'))
    )


def drop_inbox() -> None:
    op.drop_table('inbox')


def create_handoffs() -> None:
    op.create_table('handoffs',
    sa.Column('handoff_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('from_agency', sa.String(length=40), nullable=False),
    sa.Column('to_agency', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('to_unit', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('handoff_id', name=op.f('pk_handoffs'))
    )
    op.create_index(op.f('ix_handoffs_case_id'), 'handoffs', ['case_id'], unique=False)
    op.create_index(op.f('ix_handoffs_status'), 'handoffs', ['status'], unique=False)


def drop_handoffs() -> None:
    op.drop_index(op.f('ix_handoffs_status'), table_name='handoffs')
    op.drop_index(op.f('ix_handoffs_case_id'), table_name='handoffs')
    op.drop_table('handoffs')


def create_clocks() -> None:
    op.create_table('clocks',
    sa.Column('clock_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('event_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.Column('extension_days', sa.Integer(), nullable=False),
    sa.Column('extension_approved_by', sa.String(length=100), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('clock_id', name=op.f('pk_clocks'))
    )
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clocks_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_clocks_due', ['status', 'due_at'], unique=False)


def drop_clocks() -> None:
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_clocks_due')
        batch_op.drop_index(batch_op.f('ix_clocks_case_id'))
    op.drop_table('clocks')


def add_inbox_case_marks() -> None:
    """Each inbox row names its case, its publisher and the publisher's place of the event among
    the case's events, so that an event applied after a later one of its case is noticed."""
    with op.batch_alter_table('inbox') as batch:
        batch.add_column(sa.Column('case_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('source_agency', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('case_sequence', sa.BigInteger(), nullable=True))
    op.create_index('ix_inbox_case', 'inbox', ['case_id'], unique=False)


def drop_inbox_case_marks() -> None:
    op.drop_index('ix_inbox_case', table_name='inbox')
    with op.batch_alter_table('inbox') as batch:
        batch.drop_column('case_sequence')
        batch.drop_column('source_agency')
        batch.drop_column('case_id')
