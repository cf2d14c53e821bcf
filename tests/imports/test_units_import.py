import pytest
from django.core.exceptions import PermissionDenied

from tests.conftest import Personas, Tree
from tests.imports.conftest import UNIT_HEADER, counts, messages, run_import
from vsis.audit.models import AuditEntry
from vsis.imports.models import BatchStatus, ImportBatch
from vsis.units.models import Level, Unit, UnitAncestor
from vsis.volunteers.models import Membership, Volunteer


def units(*rows: list[str]) -> list[list[str]]:
    return [["單位清冊"], UNIT_HEADER, *rows]


def test_a_new_branch_is_written_children_before_parents_in_the_file(
    tree: Tree,
) -> None:
    outcome = run_import(
        "units",
        units(
            ["A131", "公園志工隊", "A130", "志工隊", "環境保護"],
            ["A130", "甲市立公園", "A100", "志願服務運用單位", ""],
        ),
    )
    assert outcome.ok, messages(outcome)
    assert counts(outcome) == {"單位": (2, 0, 0)}
    park = Unit.objects.get(code="A130")
    team = Unit.objects.get(code="A131")
    assert park.parent == tree.bureau_a and park.level == Level.USING
    assert park.path == f"{tree.bureau_a.path}{park.pk}/" and park.depth == 3
    assert team.parent == park and team.path == f"{park.path}{team.pk}/"
    assert team.category is not None and team.category.name == "環境保護"
    assert team.is_within(tree.county_a)
    # The closure rows, as Unit.save would have written them.
    assert set(
        UnitAncestor.objects.filter(unit=team).values_list("ancestor__code", flat=True)
    ) == {"H000", "A000", "A100", "A130", "A131"}


def test_reimporting_the_same_file_changes_nothing(tree: Tree) -> None:
    rows = units(
        ["A130", "甲市立公園", "A100", "志願服務運用單位", ""],
        ["A131", "公園志工隊", "A130", "志工隊", "環境保護"],
        ["A121", "圖書館志工隊", "A120", "志工隊", "文化"],
    )
    first = run_import("units", rows)
    assert counts(first) == {"單位": (2, 0, 1)}
    before = {u.code: u.updated_at for u in Unit.objects.all()}
    second = run_import("units", rows)
    assert counts(second) == {"單位": (0, 0, 3)}
    assert {u.code: u.updated_at for u in Unit.objects.all()} == before
    assert Unit.objects.count() == 14


def test_a_renamed_unit_is_updated_in_place(tree: Tree) -> None:
    outcome = run_import(
        "units", units(["A121", "圖書館閱讀志工隊", "A120", "志工隊", "教育"])
    )
    assert counts(outcome) == {"單位": (0, 1, 0)}
    team = Unit.objects.get(code="A121")
    assert team.name == "圖書館閱讀志工隊" and team.category.name == "教育"  # type: ignore[union-attr]
    assert team.path == tree.library_team.path


def test_moving_a_unit_moves_its_subtree(tree: Tree) -> None:
    outcome = run_import(
        "units",
        units(
            ["A200", "甲市政府文化局", "A000", "地方目的事業主管機關", "文化"],
            ["A120", "甲市立圖書館", "A200", "志願服務運用單位", ""],
        ),
    )
    assert counts(outcome) == {"單位": (1, 1, 0)}
    bureau = Unit.objects.get(code="A200")
    team = Unit.objects.get(code="A121")
    assert team.path.startswith(bureau.path)
    assert team.path == f"{bureau.path}{tree.library.pk}/{team.pk}/"
    assert set(
        UnitAncestor.objects.filter(unit=team).values_list("ancestor__code", flat=True)
    ) == {"H000", "A000", "A200", "A120", "A121"}


def test_the_units_sample_shape_loads_a_whole_tree(db: None) -> None:
    outcome = run_import(
        "units",
        units(
            ["H000", "衛生福利部", "", "中央主管機關", ""],
            ["M000", "範例市政府", "H000", "直轄市、縣(市)政府", ""],
            ["M100", "範例市政府文化局", "M000", "地方目的事業主管機關", "文化"],
            ["M110", "範例市立圖書館", "M100", "志願服務運用單位", "文化"],
            ["M111", "圖書館閱讀志工隊", "M110", "志工隊", "文化"],
        ),
    )
    assert outcome.ok, messages(outcome)
    assert [u.depth for u in Unit.objects.order_by("level")] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            ["A130", "公園", "Z999", "志願服務運用單位", ""],
            "第 3 列，欄位「上層單位代碼」：上層單位代碼不存在：Z999",
        ),
        (
            ["A119", "分隊", "A111", "志工隊", "文化"],
            "第 3 列，欄位「單位層級」：單位層級須低於上層單位（上層單位為志工隊）",
        ),
        (
            ["A099", "某市政府", "A110", "直轄市、縣(市)政府", ""],
            "第 3 列，欄位「單位層級」：單位層級須低於上層單位"
            "（上層單位為志願服務運用單位）",
        ),
        (
            ["A118", "隊", "A110", "志工隊", "天文"],
            "第 3 列，欄位「服務類別」：未知的服務類別：天文",
        ),
        (
            ["A118", "隊", "A110", "志工隊", ""],
            "第 3 列，欄位「服務類別」：志工隊須填服務類別",
        ),
        (
            ["A118", "隊", "A110", "小隊", "文化"],
            "第 3 列，欄位「單位層級」：單位層級須為中央主管機關、"
            "中央目的事業主管機關、直轄市、縣(市)政府、地方目的事業主管機關、"
            "志願服務運用單位、志工隊之一：小隊",
        ),
        (
            ["A118", "隊", "", "志工隊", "文化"],
            "第 3 列，欄位「上層單位代碼」：必填",
        ),
        (
            ["A118", "隊", "A118", "志工隊", "文化"],
            "第 3 列，欄位「上層單位代碼」：上層單位不可為自己",
        ),
        (
            ["H001", "某部", "H000", "中央主管機關", ""],
            "第 3 列，欄位「上層單位代碼」：中央主管機關沒有上層單位，此欄請留白",
        ),
        (["", "隊", "A110", "志工隊", "文化"], "第 3 列，欄位「單位代碼」：必填"),
        (["A118", "", "A110", "志工隊", "文化"], "第 3 列，欄位「單位名稱」：必填"),
        (
            ["A118", "隊" * 101, "A110", "志工隊", "文化"],
            "第 3 列，欄位「單位名稱」：內容過長（上限 100 字，此格 101 字）",
        ),
    ],
)
def test_each_bad_unit_row_is_named(tree: Tree, row: list[str], error: str) -> None:
    outcome = run_import("units", units(row))
    assert messages(outcome) == [error]
    assert Unit.objects.count() == 12


def test_a_duplicate_code_names_the_first_row(tree: Tree) -> None:
    outcome = run_import(
        "units",
        units(
            ["A130", "公園", "A100", "志願服務運用單位", ""],
            ["A130", "公園", "A100", "志願服務運用單位", ""],
        ),
    )
    assert messages(outcome) == ["第 4 列，欄位「單位代碼」：單位代碼與第 3 列重複"]


def test_every_error_of_the_file_is_listed_and_nothing_is_written(tree: Tree) -> None:
    outcome = run_import(
        "units",
        units(
            ["A130", "甲市立公園", "A100", "志願服務運用單位", ""],
            ["A131", "公園志工隊", "A130", "志工隊", "環境保護"],
            ["A132", "", "A130", "志工隊", "環境保護"],
            ["A133", "公園導覽隊", "A999", "志工隊", "環境保護"],
        ),
    )
    assert messages(outcome) == [
        "第 5 列，欄位「單位名稱」：必填",
        "第 6 列，欄位「上層單位代碼」：上層單位代碼不存在：A999",
    ]
    assert not Unit.objects.filter(code__in=["A130", "A131"]).exists()
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.REJECTED and batch.error_count == 2
    assert batch.errors[0] == [5, "單位名稱", "必填"]
    assert not AuditEntry.objects.filter(action="import.units").exists()


def test_missing_columns_are_named_on_the_header_row(tree: Tree) -> None:
    outcome = run_import("units", [["標題"], ["單位代碼", "單位名稱"], ["A1", "x"]])
    assert messages(outcome) == [
        "第 2 列，欄位「上層單位代碼」：缺少此欄位",
        "第 2 列，欄位「單位層級」：缺少此欄位",
    ]


def test_a_team_with_members_keeps_its_level(tree: Tree) -> None:
    volunteer = Volunteer.objects.create(
        national_id="A123456789", name="王小明", sex="M", birth_date="1980-01-01"
    )
    Membership.objects.create(
        volunteer=volunteer, team=tree.library_team, joined_on="2020-01-01"
    )
    outcome = run_import(
        "units", units(["A121", "圖書館", "A100", "志願服務運用單位", "文化"])
    )
    assert messages(outcome) == [
        "第 3 列，欄位「單位層級」：此志工隊已有隊員資格或服務紀錄，不可變更單位層級"
    ]


def test_a_unit_cannot_drop_below_its_children(tree: Tree) -> None:
    outcome = run_import(
        "units", units(["A110", "甲市立醫院", "A100", "志工隊", "衛生福利"])
    )
    reason = "此單位下有層級為志工隊的單位（{}），不可改為此層級"
    assert messages(outcome) == [
        f"第 3 列，欄位「單位層級」：{reason.format('A111')}",
        f"第 3 列，欄位「單位層級」：{reason.format('A112')}",
    ]


def test_a_successful_import_is_recorded_with_an_audit_row(
    personas: Personas,
) -> None:
    outcome = run_import(
        "units",
        units(["A113", "醫院關懷隊", "A110", "志工隊", "衛生福利"]),
        actor=personas.unit_clerk,
    )
    assert outcome.ok, messages(outcome)
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.IMPORTED
    assert (
        batch.actor == personas.unit_clerk
        and batch.unit_id == personas.unit_clerk.unit_id
    )
    assert batch.kind == "units" and batch.filename == "test.csv"
    assert len(batch.sha256) == 64 and batch.row_count == 1
    assert batch.counts == {"單位": {"new": 1, "updated": 0, "unchanged": 0}}
    assert batch.started_at is not None and batch.finished_at is not None
    audit = AuditEntry.objects.get(action="import.units")
    assert audit.actor == personas.unit_clerk
    assert audit.target_type == "imports.importbatch" and audit.target_id == str(
        batch.pk
    )
    assert audit.changes["counts"]["new"] == batch.counts


def test_a_dry_run_counts_without_writing(tree: Tree) -> None:
    outcome = run_import(
        "units",
        units(
            ["A130", "甲市立公園", "A100", "志願服務運用單位", ""],
            ["A121", "圖書館志工隊", "A120", "志工隊", "文化"],
        ),
        dry_run=True,
    )
    assert outcome.ok and counts(outcome) == {"單位": (1, 0, 1)}
    assert not Unit.objects.filter(code="A130").exists()
    assert ImportBatch.objects.get().status == BatchStatus.CHECKED
    assert not AuditEntry.objects.exists()


NEW_TEAM_UNDER_HOSPITAL = ["A113", "醫院關懷隊", "A110", "志工隊", "衛生福利"]
NEW_UNIT_UNDER_BUREAU = ["A130", "甲市立公園", "A100", "志願服務運用單位", ""]
RENAMED_HOSPITAL = ["A110", "甲市立聯合醫院", "A100", "志願服務運用單位", ""]


@pytest.mark.parametrize(
    ("persona", "row", "allowed"),
    [
        ("unit_clerk", NEW_TEAM_UNDER_HOSPITAL, True),
        ("unit_clerk", NEW_UNIT_UNDER_BUREAU, False),
        ("unit_clerk", RENAMED_HOSPITAL, False),  # its parent is above the clerk
        ("county_clerk", NEW_TEAM_UNDER_HOSPITAL, True),
        ("county_clerk", NEW_UNIT_UNDER_BUREAU, True),
        ("county_clerk", RENAMED_HOSPITAL, True),
        ("county_admin", NEW_UNIT_UNDER_BUREAU, True),
        ("other_county_clerk", NEW_TEAM_UNDER_HOSPITAL, False),
        ("other_county_clerk", RENAMED_HOSPITAL, False),
        ("superuser", NEW_UNIT_UNDER_BUREAU, True),
    ],
)
def test_units_are_written_only_under_a_parent_in_scope(
    personas: Personas, persona: str, row: list[str], allowed: bool
) -> None:
    outcome = run_import("units", units(row), actor=getattr(personas, persona))
    if allowed:
        assert outcome.ok, messages(outcome)
    else:
        assert messages(outcome)[0].endswith("：不在您的管轄範圍")
        assert Unit.objects.filter(code=row[0], name=row[1]).count() == 0


def test_another_county_cannot_rename_a_unit_of_ours(personas: Personas) -> None:
    outcome = run_import(
        "units",
        units(["A111", "被改名", "B110", "志工隊", "文化"]),
        actor=personas.other_county_clerk,
    )
    assert messages(outcome) == ["第 3 列，欄位「單位代碼」：不在您的管轄範圍"]


def test_only_the_system_or_a_superuser_writes_a_root_unit(personas: Personas) -> None:
    row = ["H999", "某部", "", "中央主管機關", ""]
    refused = run_import("units", units(row), actor=personas.county_clerk)
    assert messages(refused) == ["第 3 列，欄位「上層單位代碼」：不在您的管轄範圍"]
    assert run_import("units", units(row), actor=personas.superuser).ok


def test_a_viewer_may_not_import(personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        run_import("units", units(NEW_TEAM_UNDER_HOSPITAL), actor=personas.viewer)
    assert not ImportBatch.objects.exists()
