"""Storage: the data model, the database (SQLite or PostgreSQL), its migrations and roles, the
audit log every change is written with (keyed chain, anchor outside the database), backups, and
the memo that keeps expensive sums until the next logged change.

May import: the vocabulary layer (db.vocabulary, errors, clock, actors, validation, settings).
"""
