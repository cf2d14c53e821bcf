"""The status board: who files, the N / W / Y counts, what changed since a
submission, and unlocking several returns at once."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client

from tests.conftest import Personas
from tests.returns.conftest import YEAR, Crowd, member, person, reload
from vsis.audit.models import AuditEntry
from vsis.returns.models import ReturnStatus
from vsis.returns.queries import (
    board_rows,
    changes_since_submission,
    filing_units,
    status_counts,
)
from vsis.returns.services import (
    create_return,
    fill_return,
    save_return,
    submit_return,
    unlock_return,
)

D = dt.date


def counts_of(body: str) -> dict[str, int]:
    found = dict(re.findall(r'data-testid="count-([NWY])">(\d+)<', body))
    return {k: int(v) for k, v in found.items()}


@pytest.fixture
def filed(crowd: Crowd, personas: Personas) -> Crowd:
    """A110 submitted, A120 a draft; A000, A100 and A130 have nothing."""
    tree, clerk = crowd.wide.tree, personas.county_clerk
    submit_return(
        fill_return(create_return(tree.hospital, YEAR, actor=clerk), actor=clerk),
        actor=clerk,
    )
    fill_return(create_return(tree.library, YEAR, actor=clerk), actor=clerk)
    return crowd


def test_counts_over_the_units_that_file(filed: Crowd, personas: Personas) -> None:
    units = filing_units(personas.county_clerk, YEAR)
    assert sorted(u.code for u in units) == ["A000", "A100", "A110", "A120", "A130"]
    assert status_counts(units, YEAR) == {"N": 3, "W": 1, "Y": 1, "total": 5}


def test_a_closed_unit_is_not_counted_even_with_a_return(
    filed: Crowd, personas: Personas
) -> None:
    museum = filed.wide.museum
    fill_return(
        create_return(museum, YEAR, actor=personas.county_clerk),
        actor=personas.county_clerk,
    )
    museum.closed_on = D(2024, 6, 30)
    museum.save()
    units = filing_units(personas.county_clerk, YEAR)
    counts = status_counts(units, YEAR)
    assert counts == {"N": 2, "W": 1, "Y": 1, "total": 4}
    assert counts["W"] + counts["Y"] <= counts["total"]
    # A unit opened after the year is not expected either.
    filed.wide.tree.library.opened_on = D(2025, 2, 1)
    filed.wide.tree.library.save()
    assert status_counts(filing_units(personas.county_clerk, YEAR), YEAR) == {
        "N": 2,
        "W": 0,
        "Y": 1,
        "total": 3,
    }


def test_the_board_page_queries_by_part_of_a_name_and_year(
    client: Client, filed: Crowd, personas: Personas
) -> None:
    client.force_login(personas.county_clerk)
    body = client.get("/returns/board/", {"year": "113"}).content.decode()
    assert counts_of(body) == {"N": 3, "W": 1, "Y": 1}
    assert "完成率 20.0%" in body
    body = client.get("/returns/board/", {"year": "113", "q": "醫院"}).content.decode()
    assert counts_of(body) == {"N": 0, "W": 0, "Y": 1}
    assert 'data-unit="A110"' in body and 'data-unit="A120"' not in body
    body = client.get("/returns/board/", {"year": "2023"}).content.decode()
    assert counts_of(body) == {"N": 5, "W": 0, "Y": 0}
    bad = client.get("/returns/board/", {"year": "明年"})
    assert bad.status_code == 200 and "年度請填民國年" in bad.content.decode()


def test_each_persona_sees_its_own_scope(
    client: Client, filed: Crowd, personas: Personas
) -> None:
    client.force_login(personas.unit_clerk)
    body = client.get("/returns/board/", {"year": "113"}).content.decode()
    assert counts_of(body) == {"N": 0, "W": 0, "Y": 1}
    assert 'name="ids"' not in body  # its own return: no unlock box
    client.force_login(personas.other_county_clerk)
    body = client.get("/returns/board/", {"year": "113"}).content.decode()
    assert counts_of(body) == {"N": 3, "W": 0, "Y": 0}  # B000, B100, B110
    assert "A110" not in body
    client.force_login(personas.viewer)
    body = client.get("/returns/board/", {"year": "113"}).content.decode()
    assert counts_of(body)["Y"] == 1 and "【解除鎖定】" not in body


def test_changed_since_submitted(filed: Crowd, personas: Personas) -> None:
    tree = filed.wide.tree
    rows = board_rows(list(filing_units(personas.county_clerk, YEAR)), YEAR)
    changes_since_submission(rows)
    by_code = {row.unit.code: row for row in rows}
    assert by_code["A110"].change is not None
    assert not by_code["A110"].change.changed
    assert by_code["A120"].change is None  # never submitted
    # Data under the submitted return changes: a woman of 40 joins A111.
    member(person("新", "F", D(1984, 5, 5)), tree.hospital_team, D(2024, 10, 1))
    changes_since_submission(rows)
    assert by_code["A110"].change.keys == [
        "volunteers_female",
        "volunteers",
        "age_female_3",
    ]
    assert by_code["A110"].change.text == (
        "資料已異動：志工人數 女、志工人數 合計、年齡 30-49歲 女"
    )
    # After an unlock, hand edits are what changed.
    hospital = unlock_return(
        by_code["A110"].ret, actor=personas.county_clerk, reason="新志工"
    )
    save_return(hospital, {"funding": Decimal(100)}, actor=personas.unit_clerk)
    rows = board_rows(list(filing_units(personas.county_clerk, YEAR)), YEAR)
    changes_since_submission(rows)
    change = next(r.change for r in rows if r.unit.code == "A110")
    assert change is not None and change.text == "解鎖後已修改：經費（元）"


def test_the_change_column_is_loaded_after_the_page(
    client: Client, filed: Crowd, personas: Personas
) -> None:
    client.force_login(personas.county_clerk)
    page = client.get("/returns/board/", {"year": "113"}).content.decode()
    assert 'hx-get="/returns/board/changes/?' in page
    fragment = client.get("/returns/board/changes/", {"year": "113"}).content.decode()
    hospital = filed.wide.tree.hospital
    assert f'id="change-{hospital.pk}" hx-swap-oob="true"' in fragment
    assert "未異動" in fragment


def test_several_returns_unlock_at_once_with_a_reason(
    client: Client, filed: Crowd, personas: Personas
) -> None:
    tree, clerk = filed.wide.tree, personas.county_clerk
    library = submit_return(
        reload(tree.library.annual_returns.get()), actor=clerk
    ).annual_return
    hospital = tree.hospital.annual_returns.get()
    client.force_login(clerk)

    response = client.post(
        "/returns/board/unlock/",
        {"ids": [hospital.pk, library.pk], "reason": "", "back": "year=113"},
        follow=True,
    )
    assert "請填寫解除鎖定的原因" in response.content.decode()
    assert reload(hospital).status == ReturnStatus.SUBMITTED

    response = client.post(
        "/returns/board/unlock/",
        {
            "ids": [hospital.pk, library.pk],
            "reason": "年度數字重新核對",
            "back": "year=113",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "已解除鎖定 2 份" in body
    assert reload(hospital).status == reload(library).status == ReturnStatus.DRAFT
    reasons = AuditEntry.objects.filter(action="return.unlock").values_list(
        "reason", flat=True
    )
    assert list(reasons) == ["年度數字重新核對"] * 2
    assert counts_of(body) == {"N": 3, "W": 2, "Y": 0}


def test_bulk_unlock_opens_a_parent_before_its_child(
    filed: Crowd, personas: Personas
) -> None:
    from vsis.returns.services import unlock_returns

    tree, clerk = filed.wide.tree, personas.county_clerk
    bureau = fill_return(create_return(tree.bureau_a, YEAR, actor=clerk), actor=clerk)
    submit_return(bureau, actor=clerk, confirm_warnings=True)
    hospital = tree.hospital.annual_returns.select_related("unit").get()
    result = unlock_returns([hospital, reload(bureau)], actor=clerk, reason="重核")
    assert [r.unit.code for r in result.done] == ["A100", "A110"]
    assert result.refused == []


def test_bulk_unlock_reports_each_refusal(
    client: Client, filed: Crowd, personas: Personas
) -> None:
    hospital = filed.wide.tree.hospital.annual_returns.get()
    client.force_login(personas.unit_clerk)
    body = client.post(
        "/returns/board/unlock/",
        {"ids": [hospital.pk], "reason": "想改"},
        follow=True,
    ).content.decode()
    assert "甲市立醫院：不能解除本單位自己的統計表" in body
    assert reload(hospital).status == ReturnStatus.SUBMITTED
    client.force_login(personas.other_county_clerk)
    outside = client.post(
        "/returns/board/unlock/", {"ids": [hospital.pk], "reason": "x"}
    )
    assert outside.status_code == 404
    client.force_login(personas.viewer)
    viewer = client.post(
        "/returns/board/unlock/", {"ids": [hospital.pk], "reason": "x"}, follow=True
    )
    assert "檢視者，不能解除鎖定" in viewer.content.decode()
    assert reload(hospital).status == ReturnStatus.SUBMITTED


def test_a_past_year_backlog_is_submitted_from_the_board(
    client: Client, crowd: Crowd, personas: Personas
) -> None:
    from vsis.returns.models import AnnualReturn

    client.force_login(personas.county_clerk)
    page = client.get("/returns/board/", {"year": "112"}).content.decode()
    assert "我確認要批次提交 5 個單位的 112年度 統計表" in page
    unconfirmed = client.post("/returns/board/backlog/", {"year": "112"}, follow=True)
    assert "請勾選確認後再批次提交" in unconfirmed.content.decode()
    assert not AnnualReturn.objects.exists()
    done = client.post(
        "/returns/board/backlog/", {"year": "112", "confirm": "1"}, follow=True
    )
    body = done.content.decode()
    assert "已批次建立並提交 5 份 112年度統計表" in body
    assert counts_of(body) == {"N": 0, "W": 0, "Y": 5}
    county = AnnualReturn.objects.get(unit__code="A000", year=2023)
    # 2023: only a's 999 minutes on 31 December (and a, b, c, d, f counted).
    assert county.values()["hours"] == 999
    assert county.values()["volunteers"] == 5
    assert (
        AuditEntry.objects.filter(
            action="return.submit", reason__contains="批次提交"
        ).count()
        == 5
    )


def test_the_backlog_is_for_past_years_and_editors_only(
    client: Client, crowd: Crowd, personas: Personas
) -> None:
    from django.utils import timezone

    from vsis.returns.models import AnnualReturn

    this_year = str(timezone.localdate().year - 1911)
    client.force_login(personas.county_clerk)
    current = client.post(
        "/returns/board/backlog/", {"year": this_year, "confirm": "1"}, follow=True
    )
    assert "批次提交只用於已結束的年度" in current.content.decode()
    client.force_login(personas.viewer)
    refused = client.post("/returns/board/backlog/", {"year": "112", "confirm": "1"})
    assert refused.status_code == 403
    assert not AnnualReturn.objects.exists()


def test_a_year_out_of_range_is_named_and_the_default_year_shown(
    client: Client, filed: Crowd, personas: Personas
) -> None:
    from django.utils import timezone

    last_year = timezone.localdate().year - 1 - 1911
    client.force_login(personas.county_clerk)
    for typed in ("0000", "1", "9999"):
        body = client.get("/returns/board/", {"year": typed}).content.decode()
        assert "年度須介於 90年度 與" in body, typed
        assert f"{last_year}年度：應填報單位" in body


@pytest.mark.parametrize(
    "ids", [["99999999999999999999999"], ["-1"], ["1.5"], ["１"], [""]]
)
def test_tampered_ids_are_not_found(
    client: Client, filed: Crowd, personas: Personas, ids: list[str]
) -> None:
    client.force_login(personas.county_clerk)
    response = client.post("/returns/board/unlock/", {"ids": ids, "reason": "x"})
    assert response.status_code == 404
    assert filed.wide.tree.hospital.annual_returns.get().status == "Y"


def test_an_unlocked_row_says_by_whom_and_the_reason_is_required(
    client: Client, filed: Crowd, personas: Personas
) -> None:
    hospital = filed.wide.tree.hospital.annual_returns.get()
    unlock_return(hospital, actor=personas.county_clerk, reason="經費請補填")
    hospital.refresh_from_db()
    client.force_login(personas.county_clerk)
    body = client.get("/returns/board/", {"year": "113"}).content.decode()
    row = re.search(r'<tr data-unit="A110">.*?</tr>', body, re.S)
    assert row is not None
    assert "W 產製中<br>" in row.group(0)
    local = timezone_label(hospital.unlocked_at)
    assert f"{local} 由 county_clerk 解除鎖定" in row.group(0)
    assert "<th>最後提交</th>" in body
    assert '<textarea name="reason" rows="2" cols="60" required>' in body


def timezone_label(value: dt.datetime) -> str:
    from django.utils import timezone

    local = timezone.localtime(value)
    return f"{local.year - 1911}/{local:%m/%d %H:%M}"


def test_the_backlog_never_reaches_before_the_act(
    client: Client, crowd: Crowd, personas: Personas
) -> None:
    from vsis.returns.models import AnnualReturn

    client.force_login(personas.county_clerk)
    for typed in ("1", "89", "2000"):  # 1912, 2000, 2000
        body = client.post(
            "/returns/board/backlog/", {"year": typed, "confirm": "1"}, follow=True
        ).content.decode()
        assert "年度須介於 90年度 與" in body
    assert not AnnualReturn.objects.exists()
