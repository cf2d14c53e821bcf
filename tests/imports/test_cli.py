"""`vsis import`: exit code, the problem list and the summary."""

from pathlib import Path

import pytest

from tests.conftest import Personas, Tree
from tests.imports.conftest import UNIT_HEADER, csv_bytes, run_vsis
from vsis.imports.models import ImportBatch
from vsis.units.models import Unit

pytestmark = pytest.mark.usefixtures("keep_the_test_connection")


def vsis(*args: str) -> int:
    return run_vsis("import", *args)


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "單位.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["單位清冊"],
                UNIT_HEADER,
                ["A130", "甲市立公園", "A100", "志願服務運用單位", ""],
                ["A131", "公園志工隊", "A130", "志工隊", "環境保護"],
                ["A121", "圖書館志工隊", "A120", "志工隊", "文化"],
            ],
            "cp950",
        )
    )
    return path


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes(
            [
                UNIT_HEADER,
                ["A130", "", "A100", "志願服務運用單位", ""],
                ["A131", "公園志工隊", "A999", "志工隊", "環境保護"],
            ]
        )
    )
    return path


def test_a_good_file_prints_its_summary(
    tree: Tree, good_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vsis(str(good_file), "--kind", "units") == 0
    out = capsys.readouterr().out
    batch = ImportBatch.objects.get()
    assert (
        out == f"匯入完成（匯入紀錄 #{batch.pk}）：\n  單位：新增 2、更新 0、未變更 1\n"
    )
    assert Unit.objects.filter(code__in=["A130", "A131"]).count() == 2


def test_a_bad_file_prints_every_problem_and_exits_non_zero(
    tree: Tree, bad_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vsis(str(bad_file), "--kind", "units") == 1
    captured = capsys.readouterr()
    batch = ImportBatch.objects.get()
    problems = [line for line in captured.err.splitlines() if " INFO " not in line]
    assert problems == [
        "第 2 列，欄位「單位名稱」：必填",
        "第 3 列，欄位「上層單位代碼」：上層單位代碼不存在：A999",
        f"CommandError: 檔案有 2 個問題，未寫入任何資料（匯入紀錄 #{batch.pk}）",
    ]
    assert captured.out == ""
    assert not Unit.objects.filter(code="A131").exists()


def test_a_dry_run_writes_nothing(
    tree: Tree, good_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vsis(str(good_file), "--kind", "units", "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.startswith("檢查通過，未寫入任何資料（試算")
    assert "單位：新增 2、更新 0、未變更 1" in out
    assert not Unit.objects.filter(code="A130").exists()


def test_the_user_s_scope_applies(
    personas: Personas, good_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vsis(str(good_file), "--kind", "units", "--user", "b_clerk") == 1
    err = capsys.readouterr().err
    assert "第 3 列，欄位「上層單位代碼」：不在您的管轄範圍" in err
    assert vsis(str(good_file), "--kind", "units", "--user", "county_clerk") == 0
    assert ImportBatch.objects.filter(actor=personas.county_clerk).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "county_viewer"], "此帳號不能匯入資料"),
        (["--user", "nobody"], "找不到帳號：nobody"),
    ],
)
def test_accounts_that_cannot_import_are_refused(
    personas: Personas,
    good_file: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    assert vsis(str(good_file), "--kind", "units", *args) == 1
    assert message in capsys.readouterr().err
    assert not ImportBatch.objects.exists()


def test_a_missing_file_is_refused(
    db: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vsis(str(tmp_path / "none.csv"), "--kind", "hours") == 1
    assert "無法讀取檔案" in capsys.readouterr().err


def test_the_kind_is_required(db: None, good_file: Path) -> None:
    assert vsis(str(good_file)) == 2
