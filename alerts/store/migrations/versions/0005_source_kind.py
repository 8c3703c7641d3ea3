"""source kind: which spider polls a feed (rss, gdelt, reliefweb)

Revision ID: 0005_source_kind
Revises: 0004_feedback
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_source_kind"
down_revision: str | None = "0004_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: every existing feed is an RSS/Atom feed."""
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="rss"))


def downgrade() -> None:
    """Revert this revision (GDELT and ReliefWeb feeds would then be polled as RSS: remove them first)."""
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("kind")
