"""also_called: what people also call a posting's job

{language: [phrases]} ("chofer", "CDL driver" for "Delivery Driver"): a caller or texter who
names the job so picks it. Nullable: existing postings are picked by their titles as before.

Revision ID: 0012_posting_also_called
Revises: 0011_text_numbers
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_posting_also_called'
down_revision = '0011_text_numbers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("postings") as batch:
        batch.add_column(sa.Column("also_called", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("postings") as batch:
        batch.drop_column("also_called")
