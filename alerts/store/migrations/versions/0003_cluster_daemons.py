"""cluster daemons: the registry of daemons sharing one database (fair shares, readiness)

Revision ID: 0003_cluster_daemons
Revises: 0002_confirmation_requests
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_cluster_daemons"
down_revision: str | None = "0002_confirmation_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "daemons",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("daemons", schema=None) as batch_op:
        batch_op.create_index("ix_daemons_seen_at", ["seen_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("daemons", schema=None) as batch_op:
        batch_op.drop_index("ix_daemons_seen_at")
    op.drop_table("daemons")
