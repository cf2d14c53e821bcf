"""The upload page and the page of one import batch."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from vsis.imports.background import start_background_import
from vsis.imports.forms import UploadForm
from vsis.imports.models import ImportBatch
from vsis.imports.services import ImportOutcome, batch_errors, import_file
from vsis.jobs.models import Job
from vsis.units.scope import require_edit

logger = logging.getLogger(__name__)

# More problems than this are counted but not listed on the page.
SHOWN_ERRORS = 2000


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    require_edit(request.user)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
    else:
        form = UploadForm()
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        options = {
            "kind": form.cleaned_data["kind"],
            "filename": upload.name,
            "dry_run": form.cleaned_data["dry_run"],
            "correct_people": form.cleaned_data["correct_people"],
        }
        data = upload.read()
        if len(data) >= settings.VSIS_IMPORT_BACKGROUND_BYTES:
            batch = start_background_import(actor=request.user, data=data, **options)
            return redirect("imports:batch", pk=batch.pk)
        try:
            outcome = import_file(actor=request.user, data=data, **options)
        except Exception:
            # import_file has logged it and marked the batch failed; the user
            # gets a page, not a 500.
            context["crashed"] = True
        else:
            context |= _outcome_context(outcome)
    context["recent"] = ImportBatch.objects.filter(actor_id=request.user.pk)[:10]
    return render(request, "imports/upload.html", context)


def _outcome_context(outcome: ImportOutcome) -> dict[str, object]:
    return {
        "batch": outcome.batch,
        "summary": outcome.summary.as_json(),
        "errors": outcome.errors[:SHOWN_ERRORS],
        "error_count": len(outcome.errors),
        "errors_cut": len(outcome.errors) > SHOWN_ERRORS,
    }


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One batch: its progress while it runs, then its summary or problems.

    A batch is its importer's (or a superuser's); for anyone else it does not
    exist, since its problems may describe rows of people.
    """
    batch = ImportBatch.objects.filter(pk=pk).first()
    user = request.user
    if batch is None or not (user.is_superuser or batch.actor_id == user.pk):
        raise Http404("查無此匯入紀錄")
    errors = batch_errors(batch)
    job = Job.objects.filter(pk=batch.job_id).first() if batch.job_id else None
    context = {
        "batch": batch,
        "job": job,
        "summary": batch.counts,
        "errors": errors[:SHOWN_ERRORS],
        "error_count": batch.error_count,
        "errors_cut": batch.error_count > min(len(errors), SHOWN_ERRORS),
    }
    template = (
        "imports/_batch_status.html"
        if request.headers.get("HX-Request")
        else "imports/batch.html"
    )
    return render(request, template, context)
