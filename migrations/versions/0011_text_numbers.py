"""text numbers: a number to text said on a call, and a receptionist's switchboard numbers

``candidates.text_number`` (+ ``text_number_confirmed_at``) and ``conversations.text_number``:
the number a caller whose caller ID takes no texts (hidden, a landline, forwarded from the
company's own switchboard) gave for the confirmation text. ``agents.switchboard_numbers``:
the company's own lines whose caller ID a forwarded call carries. All nullable: existing rows
read as before.

Revision ID: 0011_text_numbers
Revises: 0010_implied_by_phrases
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_text_numbers'
down_revision = '0010_implied_by_phrases'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("switchboard_numbers", sa.JSON(), nullable=True))
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("text_number", sa.String(16), nullable=True))
        batch.add_column(sa.Column("text_number_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_candidates_text_number", ["text_number"])
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("text_number", sa.String(16), nullable=True))
        batch.create_index("ix_conversations_text_number", ["text_number"])


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_text_number")
        batch.drop_column("text_number")
    with op.batch_alter_table("candidates") as batch:
        batch.drop_index("ix_candidates_text_number")
        batch.drop_column("text_number_confirmed_at")
        batch.drop_column("text_number")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("switchboard_numbers")
