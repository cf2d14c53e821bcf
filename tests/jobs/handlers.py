"""Job kinds that exist only in tests (registered on import).

The pytest process imports this from conftest.py; worker subprocesses get it
through tests.jobs.apps.TestHandlersConfig (see worker_settings.py).
"""

import time
from collections.abc import Mapping
from typing import Any

from django.db import connection

from vsis.jobs.registry import JobContext, JobFailed, job_handler
from vsis.jobs.services import cancel_job

XLSX_BYTES = b"PK\x03\x04 pretend xlsx"
ODS_BYTES = b"PK\x03\x04 pretend ods, a little longer"


def describe_echo(params: Mapping[str, Any]) -> str:
    return f"數值 {params.get('n')}"


@job_handler(
    "test.echo",
    label="測試回聲",
    describe=describe_echo,
    describe_result=lambda result: f"回傳 {result['n']}",
)
def echo(ctx: JobContext) -> dict[str, Any]:
    ctx.progress(50, "半途")
    seen = type(ctx.job).objects.values("status", "progress").get(pk=ctx.job.pk)
    return {"n": ctx.params.get("n"), "seen": seen, "attempt": ctx.attempt}


@job_handler("test.files", label="志工年齡分布表")
def files(ctx: JobContext) -> dict[str, Any]:
    ctx.add_file("xlsx", XLSX_BYTES, filename="志工年齡分布表.xlsx")
    path = ctx.temp_path(".ods")
    path.write_bytes(ODS_BYTES)
    ctx.add_file("ods", path, filename="志工年齡分布表.ods")
    return {"rows": 2}


@job_handler("test.refuse", label="測試拒絕")
def refuse(ctx: JobContext) -> None:
    ctx.add_file("xlsx", XLSX_BYTES, filename="半成品.xlsx")
    raise JobFailed("查無符合條件的志工，請調整條件後重新申請")


@job_handler("test.crash", label="測試當機")
def crash(ctx: JobContext) -> None:
    ctx.add_file("xlsx", XLSX_BYTES, filename="半成品.xlsx")
    _ = 1 / 0


@job_handler("test.bad_result", label="測試結果")
def bad_result(ctx: JobContext) -> dict[str, Any]:
    return {"value": object()}


@job_handler("test.cancel_midway", label="測試中途取消")
def cancel_midway(ctx: JobContext) -> None:
    ctx.add_file("xlsx", XLSX_BYTES, filename="半成品.xlsx")
    cancel_job(ctx.job, actor=ctx.job.requester)  # the user clicks 取消
    ctx.progress(80, "寫入檔案")  # raises JobCancelled
    raise AssertionError("progress() should have stopped the handler")


@job_handler("test.superseded", label="測試被接手")
def superseded(ctx: JobContext) -> None:
    ctx.add_file("xlsx", XLSX_BYTES, filename="半成品.xlsx")
    # What the sweeper does when it takes this run for dead:
    type(ctx.job).objects.filter(pk=ctx.job.pk).update(status="queued")
    ctx.check_cancelled()  # raises JobCancelled
    raise AssertionError("check_cancelled() should have stopped the handler")


@job_handler("test.reentrant", label="測試重入")
def reentrant(ctx: JobContext) -> dict[str, Any]:
    from vsis.jobs.runner import execute_job

    return {"inner": execute_job(ctx.job.pk)}


@job_handler("test.block", label="測試等待")
def block(ctx: JobContext) -> None:
    """Runs until cancelled or killed; only the heartbeat thread beats."""
    ctx.progress(10, "等待中")
    while True:
        time.sleep(0.1)
        ctx.check_cancelled()


@job_handler("test.long_query", label="測試長查詢")
def long_query(ctx: JobContext) -> None:
    """One SQL statement that would run for minutes, with no progress calls."""
    ctx.progress(5, "查詢中")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_sleep(600)")
        else:
            cursor.execute(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                "WHERE x < 100000000000) SELECT count(*) FROM c"
            )
        cursor.fetchall()
    raise AssertionError("the query should have been interrupted")
