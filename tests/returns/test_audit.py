"""Every change leaves an audit row (who, when, old and new per cell, why) and
every submission a frozen copy of all its figures."""

from decimal import Decimal

from django.test import Client

from tests.conftest import Personas
from tests.returns.conftest import YEAR, Crowd, member, person, reload
from vsis.audit.models import AuditEntry
from vsis.returns.models import AnnualReturn, ReturnSubmission
from vsis.returns.services import (
    create_return,
    fill_return,
    save_return,
    submit_return,
    unlock_return,
)


def trail(ret: AnnualReturn) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            target_type="returns.annualreturn", target_id=str(ret.pk)
        ).order_by("id")
    )


def test_each_verb_is_recorded_with_its_changes(
    crowd: Crowd, personas: Personas
) -> None:
    tree, clerk, county = crowd.wide.tree, personas.unit_clerk, personas.county_clerk
    ret = create_return(tree.hospital, YEAR, actor=clerk)
    ret = fill_return(ret, actor=clerk)
    ret = save_return(
        ret, {"persons_served": Decimal(12), "hours": Decimal(300)}, actor=clerk
    )
    ret = save_return(ret, {"hours": None}, actor=clerk)  # back to computed
    submit_return(ret, actor=clerk)
    unlock_return(ret, actor=county, reason="服務人次誤植，請更正")

    rows = trail(ret)
    assert [r.action for r in rows] == [
        "return.create",
        "return.fill",
        "return.save",
        "return.save",
        "return.submit",
        "return.unlock",
    ]
    assert [r.actor for r in rows] == [clerk] * 5 + [county]
    assert all(r.unit_id == tree.hospital.pk for r in rows)
    create, fill, save, restore, submit, unlock = rows
    assert create.changes["status"] == {"old": "N", "new": "W"}
    assert create.changes["period"] == {"old": None, "new": "2024-01-01~2024-12-31"}
    assert fill.changes["volunteers"] == {"old": None, "new": "3"}
    assert fill.changes["hours"] == {"old": None, "new": "270"}
    assert save.changes == {
        "persons_served": {"old": "9", "new": "12", "hand": True},
        "hours": {"old": "270", "new": "300", "hand": True},
    }
    assert restore.changes == {"hours": {"old": "300", "new": "270", "hand": False}}
    assert submit.changes == {
        "status": {"old": "W", "new": "Y"},
        "submission": {"old": None, "new": 1},
    }
    assert unlock.changes == {"status": {"old": "Y", "new": "W"}}
    assert unlock.reason == "服務人次誤植，請更正"


def test_a_refill_records_only_what_moved(crowd: Crowd, personas: Personas) -> None:
    import datetime as dt

    tree, clerk = crowd.wide.tree, personas.unit_clerk
    ret = fill_return(create_return(tree.hospital, YEAR, actor=clerk), actor=clerk)
    member(
        person("新", "M", dt.date(1999, 9, 9)), tree.hospital_team, dt.date(2024, 1, 2)
    )
    fill_return(ret, actor=clerk)
    last = trail(ret)[-1]
    assert last.action == "return.fill"
    assert last.changes == {
        "volunteers_male": {"old": "1", "new": "2"},
        "volunteers": {"old": "3", "new": "4"},
        "age_male_2": {"old": "0", "new": "1"},  # 25: 18-29
    }


def test_each_submission_keeps_a_frozen_copy(crowd: Crowd, personas: Personas) -> None:
    tree, clerk, county = crowd.wide.tree, personas.unit_clerk, personas.county_clerk
    ret = fill_return(create_return(tree.hospital, YEAR, actor=clerk), actor=clerk)
    ret = save_return(ret, {"funding": Decimal(8000)}, actor=clerk)
    first = submit_return(ret, actor=clerk)
    unlock_return(ret, actor=county, reason="補經費")
    ret = save_return(reload(ret), {"funding": Decimal(9000)}, actor=clerk)
    second = submit_return(ret, actor=clerk)

    first.refresh_from_db()
    assert (first.number, second.number) == (1, 2)
    assert first.values["funding"] == "8000" and second.values["funding"] == "9000"
    assert first.entered == {"funding": "8000"}
    assert first.values["volunteers"] == "3" and first.computed["volunteers"] == "3"
    assert first.values["age_female_6"] == "1"
    assert len(first.values) == 30  # every cell, both sections
    assert first.submitted_by == clerk
    assert (first.period_start.isoformat(), first.form) == ("2024-01-01", "county")
    assert ReturnSubmission.objects.filter(annual_return=ret).count() == 2


def test_the_history_page_shows_old_and_new_values_and_reasons(
    client: Client, crowd: Crowd, personas: Personas
) -> None:
    tree, clerk, county = crowd.wide.tree, personas.unit_clerk, personas.county_clerk
    ret = fill_return(create_return(tree.hospital, YEAR, actor=clerk), actor=clerk)
    ret = save_return(ret, {"hours": Decimal(750)}, actor=clerk)
    submit_return(ret, actor=clerk)
    unlock_return(ret, actor=county, reason="時數需再確認")
    client.force_login(personas.viewer)
    body = client.get(f"/returns/A110/{YEAR}/history/").content.decode()
    assert "服務時數：4.5 → 12.5（手動）" in body
    assert "時數需再確認" in body and "解除鎖定" in body
    assert "county_clerk" in body and "甲市政府" in body
    frozen = client.get(f"/returns/A110/{YEAR}/submissions/1/")
    assert frozen.status_code == 200
    text = frozen.content.decode()
    assert "第 1 次提交之凍結副本" in text and "12.5" in text


def submit_hospital_as_it_is(crowd: Crowd, personas: Personas) -> None:
    clerk = personas.unit_clerk
    ret = fill_return(
        create_return(crowd.wide.tree.hospital, YEAR, actor=clerk), actor=clerk
    )
    submit_return(ret, actor=clerk)


def test_the_history_shows_fields_in_words(
    client: Client, crowd: Crowd, personas: Personas
) -> None:
    submit_hospital_as_it_is(crowd, personas)
    client.force_login(personas.unit_clerk)
    body = client.get(f"/returns/A110/{YEAR}/history/").content.decode()
    assert "狀態：N 無動作 → W 產製中" in body
    assert "統計期間：— → 113/01/01～113/12/31" in body
    assert "表別：— → 直轄市、縣(市)推展志願服務志工人數及服務成果統計表" in body
    assert "提交次數：— → 第 1 次" in body


def test_the_frozen_copy_shows_the_age_subtotals_and_totals(
    client: Client, crowd: Crowd, personas: Personas
) -> None:
    submit_hospital_as_it_is(crowd, personas)
    client.force_login(personas.county_clerk)
    body = client.get(f"/returns/A110/{YEAR}/submissions/1/").content.decode()
    # A110: 男 64 (55-64); 女 34 (30-49) and 70 (65 以上).
    assert (
        '<th scope="row">30-49歲</th><td class="num">0</td>'
        '<td class="num">1</td><td class="num">1</td>'
    ) in body
    assert (
        '<tr><th>合計</th><td class="num">1</td><td class="num">2</td>'
        '<td class="num">3</td></tr>'
    ) in body
