"""Loading generated rows fast: COPY on PostgreSQL, executemany on SQLite.

On PostgreSQL the big tables lose their secondary indexes, unique and foreign-key
constraints for the load and get them back, with the very same definitions (read
from the catalog first), before the transaction commits: building an index once
over sorted input is far cheaper than updating it 30 million times. Primary keys
and check constraints stay. A failure anywhere rolls all of it back.
"""

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Model

from vsis.seed.generate import NULL

logger = logging.getLogger(__name__)

_COPY_BATCH = 20_000  # rows per write to the COPY stream
_INSERT_BATCH = 5_000  # rows per executemany on SQLite


class Loader:
    """Writes rows in COPY text format (tab-separated, \\N for NULL)."""

    def session_settings(self) -> None:
        """Per-transaction settings for a bulk load."""

    def load(self, table: str, columns: Sequence[str], rows: Iterable[str]) -> int:
        raise NotImplementedError

    @contextmanager
    def bulk(self, tables: Sequence[str]) -> Iterator[None]:
        yield

    def reset_sequences(self, models: Sequence[type[Model]]) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(models))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def analyze(self, tables: Sequence[str]) -> None:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


class PostgresLoader(Loader):
    def session_settings(self) -> None:
        with connection.cursor() as cursor:
            # Memory for the index builds and for the tally GROUP BY (about
            # 10 million groups nationally: 2 GB keeps its hash table in memory,
            # 72 s instead of 190 s spilling to disk); local to the seeding
            # transaction. JIT compiles nothing useful for one big scan.
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL work_mem = '2GB'")
            cursor.execute("SET LOCAL jit = off")

    def load(self, table: str, columns: Sequence[str], rows: Iterable[str]) -> int:
        quote = connection.ops.quote_name
        sql = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
        count = 0
        connection.ensure_connection()
        raw: Any = connection.connection
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            batch: list[str] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= _COPY_BATCH:
                    copy.write("".join(batch))
                    count += len(batch)
                    batch.clear()
            if batch:
                copy.write("".join(batch))
                count += len(batch)
        return count

    @contextmanager
    def bulk(self, tables: Sequence[str]) -> Iterator[None]:
        quote = connection.ops.quote_name
        saved: list[tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = []
        with connection.cursor() as cursor:
            # Fire checks still pending from earlier inserts: ALTER TABLE refuses
            # a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in tables:
                cursor.execute(
                    """
                    SELECT conname, pg_get_constraintdef(oid)
                    FROM pg_constraint
                    WHERE conrelid = %s::regclass AND contype IN ('f', 'u')
                    ORDER BY contype DESC, conname
                    """,
                    [table],
                )
                constraints = list(cursor.fetchall())
                cursor.execute(
                    """
                    SELECT i.relname, pg_get_indexdef(x.indexrelid)
                    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                    WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
                      AND NOT EXISTS (
                          SELECT 1 FROM pg_constraint c
                          WHERE c.conindid = x.indexrelid
                            AND c.conrelid = x.indrelid)
                    ORDER BY i.relname
                    """,
                    [table],
                )
                indexes = list(cursor.fetchall())
                for name, _ in constraints:
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}"
                    )
                for name, _ in indexes:
                    cursor.execute(f"DROP INDEX {quote(name)}")
                saved.append((table, constraints, indexes))
        yield
        with connection.cursor() as cursor:
            for table, constraints, indexes in saved:
                for _, definition in indexes:
                    cursor.execute(definition)
                # Unique constraints first (ORDER BY contype DESC: u before f).
                for name, definition in constraints:
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} "
                        f"{definition}"
                    )
                logger.info(
                    "restored %s indexes and %s constraints on %s",
                    len(indexes),
                    len(constraints),
                    table,
                )

    def analyze(self, tables: Sequence[str]) -> None:
        # VACUUM as well: freshly copied rows have no visibility map, so every
        # index-only scan (a county's record count, its date range) would visit
        # the heap until autovacuum came by; a seeded database should behave
        # like one that has been running. VACUUM cannot run in a transaction
        # (a test's); there ANALYZE alone.
        verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"{verb} {connection.ops.quote_name(table)}")


class SqliteLoader(Loader):
    def load(self, table: str, columns: Sequence[str], rows: Iterable[str]) -> int:
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        connection.ensure_connection()
        raw: Any = connection.connection
        count = 0
        batch: list[list[str | None]] = []
        for row in rows:
            values = row.rstrip("\n").split("\t")
            batch.append([None if value == NULL else value for value in values])
            if len(batch) >= _INSERT_BATCH:
                raw.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        if batch:
            raw.executemany(sql, batch)
            count += len(batch)
        return count

    def analyze(self, tables: Sequence[str]) -> None:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def loader_for_connection() -> Loader:
    if connection.vendor == "postgresql":
        return PostgresLoader()
    if connection.vendor == "sqlite":
        return SqliteLoader()
    raise NotImplementedError(f"seed does not support {connection.vendor}")
