"""confirmation requests: the per-address limit on confirmation emails

Revision ID: 0002_confirmation_requests
Revises: 0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_confirmation_requests"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "confirmation_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient_key", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("confirmation_requests", schema=None) as batch_op:
        batch_op.create_index("ix_confirmation_requests_key_time", ["recipient_key", "requested_at"], unique=False)
        batch_op.create_index("ix_confirmation_requests_time", ["requested_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("confirmation_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_confirmation_requests_time")
        batch_op.drop_index("ix_confirmation_requests_key_time")
    op.drop_table("confirmation_requests")
