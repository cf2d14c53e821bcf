"""The benchmark's second opinion: DuckDB reading the same tables.

Each figure is a plain GROUP BY written from DOMAIN.md §3 alone, apart from
vsis.reports: ages from birth dates by calendar arithmetic (not the bracket
thresholds the report code uses), service figures from the raw records (not the
tallies), return items from the people tables. DuckDB cannot download
extensions here, so the postgres and sqlite scanners are loaded from the files
of the duckdb-extension-* packages.
"""

import datetime as dt
import importlib
import time
from pathlib import Path
from typing import Any

Figures = dict[int, list[int]]

# Column order of each figure list, shared with the report side (cases.py).
AGE_COLUMNS = tuple(f"{sex}{b}" for sex in "MF" for b in range(7))
SERVICE_COLUMNS = (
    "volunteers_male",
    "volunteers_female",
    "attendances",
    "minutes_male",
    "minutes_female",
    "persons_served",
)
RETURN_COLUMNS = (
    "volunteers_male",
    "volunteers_female",
    "minutes",
    "attendances",
    "persons_served",
    "basic_trained",
    "special_trained",
    "record_book_holders",
    "record_books_issued",
    "insured",
    "honour_card_holders",
    "awarded",
)


def extension_file(package: str) -> Path:
    """The .duckdb_extension shipped inside a duckdb-extension-* package."""
    module = importlib.import_module(package)
    root = Path(module.__file__ or "").parent
    found = sorted(root.glob("extensions/*/*.duckdb_extension"))
    if not found:
        raise RuntimeError(f"{package} has no .duckdb_extension file")
    return found[-1]


class DuckSide:
    """A DuckDB connection with the app's database attached read-only as `db`."""

    def __init__(self, database: dict[str, Any]) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute("SET autoinstall_known_extensions = false")
        self.con.execute("SET autoload_known_extensions = false")
        engine = database["ENGINE"]
        if engine.endswith("postgresql"):
            path = extension_file("duckdb_extension_postgres_scanner")
            self.con.execute(f"LOAD '{path}'")
            dsn = " ".join(
                f"{key}={value}"
                for key, value in (
                    ("dbname", database["NAME"]),
                    ("host", database.get("HOST") or "127.0.0.1"),
                    ("port", database.get("PORT") or 5432),
                    ("user", database.get("USER") or "postgres"),
                    ("password", database.get("PASSWORD") or ""),
                )
                if value != ""
            )
            self.con.execute(f"ATTACH '{dsn}' AS db (TYPE postgres, READ_ONLY)")
        elif engine.endswith("sqlite3"):
            path = extension_file("duckdb_extension_sqlite_scanner")
            self.con.execute(f"LOAD '{path}'")
            self.con.execute(
                f"ATTACH '{database['NAME']}' AS db (TYPE sqlite, READ_ONLY)"
            )
        else:
            raise RuntimeError(f"DuckDB cannot read {engine}")
        self.seconds = 0.0  # time spent in queries, for the ratio

    def _rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        started = time.perf_counter()
        rows = self.con.execute(sql, params).fetchall()
        self.seconds += time.perf_counter() - started
        return rows

    def _teams(self) -> str:
        return "SELECT id FROM db.units_unit WHERE level = 6 AND starts_with(path, ?)"

    def age_by_team(self, scope_path: str, on: dt.date) -> Figures:
        """Counted volunteers per team at `on`: 7 brackets × (男, 女)."""
        sql = f"""
            WITH counted AS (
                SELECT m.team_id, v.sex,
                       date_part('year', ?::DATE) - date_part('year', v.birth_date)
                       - CASE WHEN (date_part('month', ?::DATE),
                                    date_part('day', ?::DATE))
                                 < (date_part('month', v.birth_date),
                                    date_part('day', v.birth_date))
                              THEN 1 ELSE 0 END AS age
                FROM db.volunteers_membership m
                JOIN db.volunteers_volunteer v ON v.id = m.volunteer_id
                WHERE m.team_id IN ({self._teams()})
                  AND m.joined_on <= ?::DATE
                  AND (m.left_on >= ?::DATE
                       OR (m.left_on IS NULL AND m.status <> 'quit'))
            )
            SELECT team_id, sex,
                   CASE WHEN age < 12 THEN 0 WHEN age < 18 THEN 1
                        WHEN age < 30 THEN 2 WHEN age < 50 THEN 3
                        WHEN age < 55 THEN 4 WHEN age < 65 THEN 5 ELSE 6 END,
                   COUNT(*)
            FROM counted GROUP BY ALL
        """
        figures: Figures = {}
        for team, sex, bracket, count in self._rows(
            sql, [on, on, on, scope_path, on, on]
        ):
            row = figures.setdefault(int(team), [0] * 14)
            row[(0 if sex == "M" else 7) + int(bracket)] += int(count)
        return figures

    def service_by_team(self, scope_path: str, start: dt.date, end: dt.date) -> Figures:
        """Per team, from the records dated in [start, end]: distinct volunteers
        by sex, attendances, minutes by sex, persons served."""
        sql = f"""
            SELECT r.team_id,
                   COUNT(DISTINCT r.volunteer_id) FILTER (WHERE v.sex = 'M'),
                   COUNT(DISTINCT r.volunteer_id) FILTER (WHERE v.sex = 'F'),
                   COUNT(*),
                   COALESCE(SUM(r.minutes) FILTER (WHERE v.sex = 'M'), 0),
                   COALESCE(SUM(r.minutes) FILTER (WHERE v.sex = 'F'), 0),
                   SUM(r.persons_served)
            FROM db.hours_servicerecord r
            JOIN db.volunteers_volunteer v ON v.id = r.volunteer_id
            WHERE r.served_on BETWEEN ?::DATE AND ?::DATE
              AND r.team_id IN ({self._teams()})
            GROUP BY r.team_id
        """
        return {
            int(team): [int(v) for v in values]
            for team, *values in self._rows(sql, [start, end, scope_path])
        }

    def return_items_by_team(
        self, scope_path: str, start: dt.date, end: dt.date
    ) -> Figures:
        """The annual-return items of §3.5 per team for the period [start, end]:
        counted volunteers at `end` by sex, service figures of the period, and
        of the counted: trained, holding a book, books issued in the period,
        insured, honour card valid, awarded.

        本期核發紀錄冊數 counts books, not persons (its name is a number of books;
        a first book and its replacement in one period count two): §3.5's
        sentence "count the volunteers who got a record book" reads otherwise,
        and the returns code counts books too.
        """
        sql = f"""
            WITH counted AS (
                SELECT DISTINCT m.team_id, m.volunteer_id, v.sex
                FROM db.volunteers_membership m
                JOIN db.volunteers_volunteer v ON v.id = m.volunteer_id
                WHERE m.team_id IN ({self._teams()})
                  AND m.joined_on <= ?::DATE
                  AND (m.left_on >= ?::DATE
                       OR (m.left_on IS NULL AND m.status <> 'quit'))
            ),
            basic AS (SELECT DISTINCT volunteer_id FROM db.volunteers_training
                      WHERE kind = 'basic' AND completed_on <= ?::DATE),
            special AS (SELECT DISTINCT volunteer_id FROM db.volunteers_training
                        WHERE kind = 'special' AND completed_on <= ?::DATE),
            holding AS (SELECT DISTINCT volunteer_id FROM db.volunteers_recordbook
                        WHERE issued_on <= ?::DATE AND status <> 'cancelled'
                           OR issued_on <= ?::DATE AND cancelled_on > ?::DATE),
            issued AS (SELECT volunteer_id, COUNT(*) AS books
                       FROM db.volunteers_recordbook
                       WHERE issued_on BETWEEN ?::DATE AND ?::DATE
                       GROUP BY volunteer_id),
            insured AS (SELECT DISTINCT volunteer_id FROM db.volunteers_insurance
                        WHERE starts_on <= ?::DATE AND ends_on >= ?::DATE),
            honoured AS (SELECT DISTINCT volunteer_id FROM db.volunteers_honourcard
                         WHERE issued_on <= ?::DATE AND valid_until >= ?::DATE),
            awarded AS (SELECT DISTINCT volunteer_id FROM db.volunteers_award
                        WHERE awarded_on BETWEEN ?::DATE AND ?::DATE)
            SELECT c.team_id,
                   COUNT(*) FILTER (WHERE c.sex = 'M'),
                   COUNT(*) FILTER (WHERE c.sex = 'F'),
                   COUNT(b.volunteer_id), COUNT(s.volunteer_id),
                   COUNT(h.volunteer_id), COALESCE(SUM(i.books), 0),
                   COUNT(n.volunteer_id), COUNT(o.volunteer_id),
                   COUNT(a.volunteer_id)
            FROM counted c
            LEFT JOIN basic b ON b.volunteer_id = c.volunteer_id
            LEFT JOIN special s ON s.volunteer_id = c.volunteer_id
            LEFT JOIN holding h ON h.volunteer_id = c.volunteer_id
            LEFT JOIN issued i ON i.volunteer_id = c.volunteer_id
            LEFT JOIN insured n ON n.volunteer_id = c.volunteer_id
            LEFT JOIN honoured o ON o.volunteer_id = c.volunteer_id
            LEFT JOIN awarded a ON a.volunteer_id = c.volunteer_id
            GROUP BY c.team_id
        """
        params = [
            scope_path, end, end,  # counted
            end, end,  # basic, special
            end, end, end,  # holding
            start, end,  # issued
            end, start,  # insured
            end, end,  # honoured
            start, end,  # awarded
        ]  # fmt: skip
        service = self.service_by_team(scope_path, start, end)
        figures: Figures = {}
        for team, male, female, *items in self._rows(sql, params):
            _, _, attendances, minutes_m, minutes_f, persons = service.get(
                int(team), [0] * 6
            )
            figures[int(team)] = [
                int(male),
                int(female),
                minutes_m + minutes_f,
                attendances,
                persons,
                *(int(v) for v in items),
            ]
        for team, values in service.items():
            if team not in figures:  # served in the period, no one counted at end
                figures[team] = [0, 0, values[3] + values[4], values[2], values[5]]
                figures[team] += [0] * 7
        return figures

    def unit_counts(self, scope_path: str) -> tuple[int, int]:
        """(using units, teams) in the scope: 運用單位數, 志工團隊數."""
        rows = self._rows(
            """
            SELECT COUNT(*) FILTER (WHERE level = 5), COUNT(*) FILTER (WHERE level = 6)
            FROM db.units_unit WHERE starts_with(path, ?)
            """,
            [scope_path],
        )
        using, teams = rows[0]
        return int(using), int(teams)
