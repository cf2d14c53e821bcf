"""{% recent_jobs "report.age" %}: the user's latest jobs of one kind, live.

A report page includes it under its form; the table polls itself while any of
its jobs is queued or running and says when one has finished.
"""

from typing import Any

from django import template

from vsis.jobs.listing import job_list_context

register = template.Library()


@register.inclusion_tag("jobs/_jobs.html", takes_context=True)
def recent_jobs(context: dict[str, Any], kind: str, limit: int = 5) -> dict[str, Any]:
    request = context["request"]
    return {
        **job_list_context(request.user, kind=kind, limit=limit),
        "csrf_token": context.get("csrf_token"),
    }
