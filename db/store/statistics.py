"""PostgreSQL's planner statistics and personal columns.

ANALYZE (autovacuum runs it on its own) copies sample values of every column – most common
values, histogram bounds – into pg_statistic, and every role that may read a table reads them
through pg_stats. For a personal column (models.PERSONAL) that is a copy of names, numbers and
addresses outside the table, which an erasure does not reach. Such columns therefore carry
SET STATISTICS 0: ANALYZE skips them. Lowering the target does not remove what ANALYZE already
wrote; a change of the column's type does, and the same type again needs no rewrite of the table.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from .models import personal_columns


def withhold_statistics(conn: Connection, table: str, column: str) -> None:
    """No statistics for this column from now on, and none kept from before."""
    same_type = conn.execute(text(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass(:table) AND attname = :column AND NOT attisdropped"),
        {"table": f'public."{table}"', "column": column}).scalar_one()
    conn.execute(text(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET STATISTICS 0, '
                      f'ALTER COLUMN "{column}" TYPE {same_type}'))


def stray_statistics(conn: Connection) -> list[tuple[str, str]]:
    """Personal columns that still have statistics (pg_stats) or may gather them again."""
    wanted = personal_columns()
    found = conn.execute(text(
        "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped "
        "AND (a.attstattarget <> 0 OR EXISTS (SELECT 1 FROM pg_stats s "
        "WHERE s.schemaname = 'public' AND s.tablename = c.relname "
        "AND s.attname = a.attname))")).all()
    return sorted(set(wanted) & {(table, column) for table, column in found})
