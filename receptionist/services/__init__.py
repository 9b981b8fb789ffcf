"""Use cases: each function is one transaction over a SQLAlchemy session."""
