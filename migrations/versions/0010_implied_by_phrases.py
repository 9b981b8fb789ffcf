"""implied_by_phrases: a yes/no question's phrases that imply its answer

For a yes/no question callers answer in their own words ("Are you authorized to work in the
United States?" "I'm a citizen." / "I need sponsorship."), {language: {"yes": [phrases],
"no": [phrases]}}. Nullable: existing questions read answers as before.

Revision ID: 0010_implied_by_phrases
Revises: 0009_candidate_list
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_implied_by_phrases'
down_revision = '0009_candidate_list'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screening_questions") as batch:
        batch.add_column(sa.Column("implied_by_phrases", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("screening_questions") as batch:
        batch.drop_column("implied_by_phrases")
