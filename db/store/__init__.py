"""Storage: the data model, the database (SQLite or PostgreSQL), its migrations and roles, the
audit log every change is written with (keyed chain, anchor outside the database and in the
system journal), backups, the memo that keeps expensive sums until the next logged change, the
one writer of private files (0600), and the rule that personal columns keep no statistics.

May import: the vocabulary layer (db.vocabulary, errors, clock, actors, validation, settings).
"""
