"""Builders for import files in every format, and made-up people.

Files are generated in the tests: CSV with the csv module in any encoding,
.xlsx with XlsxWriter, .ods with odfdo and .xls with xlwt (a test-only
dependency; nothing in vsis writes .xls). A date, time or timedelta in a row
becomes a real date or time cell in the workbook formats.
"""

import csv
import datetime as dt
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import base, execute_from_command_line
from faker import Faker

from vsis.core.national_id import generate_id
from vsis.imports.services import ImportOutcome, import_file

Row = Sequence[Any]

UNIT_HEADER = ["單位代碼", "單位名稱", "上層單位代碼", "單位層級", "服務類別"]
VOLUNTEER_HEADER = [
    "身分證字號", "姓名", "性別", "出生日期", "志工隊代碼", "加入日期", "離隊日期",
    "志工狀態", "紀錄冊編號", "發冊日期", "基礎訓練完訓日期", "特殊訓練完訓日期",
    "保險起日", "保險迄日",
]  # fmt: skip
HOURS_HEADER = [
    "身分證字號", "姓名", "志工隊代碼", "服務日期", "起時", "迄時", "服務時數",
    "服務人次", "服務項目", "備註",
]  # fmt: skip


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """The personas' passwords hash in microseconds instead of seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    """Uploads kept for background imports go to each test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def csv_bytes(rows: Sequence[Row], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Row]) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("資料")
    date_format = book.add_format({"num_format": "yyyy/mm/dd"})
    time_format = book.add_format({"num_format": "hh:mm"})
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell is None or cell == "":
                continue
            if isinstance(cell, dt.datetime | dt.date):
                sheet.write_datetime(r, c, cell, date_format)
            elif isinstance(cell, dt.time):
                sheet.write_datetime(r, c, cell, time_format)
            elif isinstance(cell, int | float):
                sheet.write_number(r, c, cell)
            else:
                sheet.write_string(r, c, str(cell))
    book.close()
    return out.getvalue()


def ods_bytes(rows: Sequence[Row]) -> bytes:
    import odfdo

    document = odfdo.Document("spreadsheet")
    body = document.body
    body.clear()
    body.append(odfdo.Table("資料"))
    table = body.get_table(0)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell is None or cell == "":
                continue
            if isinstance(cell, dt.time):
                # odfdo writes a time cell from a duration since midnight.
                cell = dt.timedelta(hours=cell.hour, minutes=cell.minute)
            table.set_value((c, r), cell)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xls_bytes(rows: Sequence[Row]) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("資料")
    date_style = xlwt.easyxf(num_format_str="yyyy/mm/dd")
    time_style = xlwt.easyxf(num_format_str="hh:mm")
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell is None or cell == "":
                continue
            if isinstance(cell, dt.date | dt.datetime):
                sheet.write(r, c, cell, date_style)
            elif isinstance(cell, dt.time):
                sheet.write(r, c, cell, time_style)
            else:
                sheet.write(r, c, cell)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_from_argv closes every connection when it ends, which would end the
    test's transaction on PostgreSQL."""
    monkeypatch.setattr(base.connections, "close_all", lambda: None)


def run_vsis(*argv: str) -> int:
    """Run `vsis ARGV` as the console script does; its exit code."""
    try:
        execute_from_command_line(["vsis", *argv])
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


BUILDERS = {
    "csv": csv_bytes,
    "xlsx": xlsx_bytes,
    "ods": ods_bytes,
    "xls": xls_bytes,
}


def run_import(
    kind: str,
    rows: Sequence[Row],
    *,
    actor: Any = None,
    fmt: str = "csv",
    dry_run: bool = False,
    correct_people: bool = False,
) -> ImportOutcome:
    data = BUILDERS[fmt](rows)
    return import_file(
        actor=actor,
        kind=kind,
        filename=f"test.{fmt}",
        data=data,
        dry_run=dry_run,
        correct_people=correct_people,
    )


def messages(outcome: ImportOutcome) -> list[str]:
    return [str(error) for error in outcome.errors]


def counts(outcome: ImportOutcome) -> dict[str, tuple[int, int, int]]:
    return {
        label: (c.new, c.updated, c.unchanged)
        for label, c in outcome.summary.counts.items()
    }


@dataclass(frozen=True)
class Person:
    national_id: str
    name: str
    sex: str  # 男 / 女
    birth: dt.date


@pytest.fixture
def people() -> list[Person]:
    """Ten made-up people with valid IDs, the same on every run."""
    rng = random.Random(20241231)
    fake = Faker("zh_TW")
    fake.seed_instance(20241231)
    result = []
    for index in range(10):
        sex = "M" if index % 2 == 0 else "F"
        name = fake.name_male() if sex == "M" else fake.name_female()
        national_id = generate_id(rng, sex)
        birth = dt.date(1950 + index * 5, 1 + index, 10 + index)
        result.append(Person(national_id, name, "男" if sex == "M" else "女", birth))
    return result
