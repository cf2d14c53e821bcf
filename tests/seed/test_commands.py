"""`vsis seed` and `vsis demo_info` as commands, each on an empty database."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from vsis.seed.demo import DEMO_PASSWORD
from vsis.seed.models import SeedRun
from vsis.units.models import Unit


def test_the_seed_command_loads_and_reports(categories: None) -> None:
    out = StringIO()
    call_command(
        "seed", "--scale", "demo", "--volunteers", "120", "--records", "900",
        "--seed", "5", "--today", "2026-06-15", stdout=out,
    )  # fmt: skip
    assert "已載入 demo（種子 5）" in out.getvalue()
    assert "900 筆服務紀錄" in out.getvalue()
    run = SeedRun.objects.get()
    assert (run.seed, run.records, str(run.as_of)) == (5, 900, "2026-06-15")
    out = StringIO()
    call_command("seed", "--check", stdout=out)
    assert "基準日 2025-12-31" in out.getvalue()
    assert "male_share: 0." in out.getvalue()
    out = StringIO()
    call_command("seed", "--scale", "demo", "--if-empty", stdout=out)
    assert "略過" in out.getvalue()
    with pytest.raises(CommandError, match="已有單位資料"):
        call_command("seed", "--scale", "demo", stdout=StringIO())


def test_the_seed_command_rejects_bad_options(categories: None) -> None:
    with pytest.raises(CommandError, match="--today"):
        call_command("seed", "--today", "not a date", stdout=StringIO())
    with pytest.raises(CommandError, match="不可為負數"):
        call_command("seed", "--records", "-1", stdout=StringIO())
    with pytest.raises(CommandError, match="沒有 vsis seed 載入的資料"):
        call_command("seed", "--check", stdout=StringIO())
    with pytest.raises(CommandError, match="志工人數至少"):
        call_command("seed", "--volunteers", "3", stdout=StringIO())
    assert not Unit.objects.exists()


def test_demo_info_prints_the_url_and_logins() -> None:
    out = StringIO()
    call_command("demo_info", "--host", "0.0.0.0", "--port", "8123", stdout=out)
    text = out.getvalue()
    assert "http://0.0.0.0:8123/" in text
    for username in ("admin", "mohw", "county", "clerk", "viewer"):
        assert username in text
    assert DEMO_PASSWORD in text
    assert "示範市立醫院" in text
