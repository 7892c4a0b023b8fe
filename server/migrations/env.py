"""Alembic environment. The server runs migrations through
``server.database.migrate``, which hands us an open connection; the
``alembic`` command line is not needed."""

from alembic import context

from server.storage.models import Base, UTCDateTime


def render_item(kind, obj, autogen_context):
    # Migrations must not import model code that may change later.
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `tsunagu migrate`, which knows the database URL.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
