"""Which code runs each kind of job, and how the job list describes it.

An app registers its handlers at import time and imports that module from its
AppConfig.ready(), so the web process (which describes and requests jobs) and
the worker (which runs them) know the same kinds:

    @job_handler("report.age", label="志工年齡分布表", describe=describe_age)
    def build_age_report(ctx: JobContext) -> dict: ...
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from vsis.jobs.context import JobCancelled, JobContext, JobFailed

__all__ = [
    "JobCancelled",
    "JobContext",
    "JobFailed",
    "JobKind",
    "UnknownJobKind",
    "get_kind",
    "job_handler",
    "kind_label",
    "registered_kinds",
]

logger = logging.getLogger(__name__)

Handler = Callable[[JobContext], Mapping[str, Any] | None]
Describe = Callable[[Mapping[str, Any]], str]


class UnknownJobKind(LookupError):
    """No handler is registered for this kind (a programming error)."""


@dataclass(frozen=True)
class JobKind:
    """A registered kind: its handler and how the job list shows it.

    `describe(params)` gives the 條件 column a readable summary (stored on the
    job when it is requested); `describe_result(result)` a line shown beside a
    finished job, e.g. "已匯入 120 筆".
    """

    kind: str
    handler: Handler
    label: str
    describe: Describe | None = None
    describe_result: Describe | None = None


_kinds: dict[str, JobKind] = {}


def job_handler(
    kind: str,
    *,
    label: str = "",
    describe: Describe | None = None,
    describe_result: Describe | None = None,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `kind`."""

    def register(handler: Handler) -> Handler:
        existing = _kinds.get(kind)
        if existing is not None and _qualname(existing.handler) != _qualname(handler):
            raise ImproperlyConfigured(
                f"job kind {kind!r} is already handled by {_qualname(existing.handler)}"
            )
        _kinds[kind] = JobKind(
            kind=kind,
            handler=handler,
            label=label or kind,
            describe=describe,
            describe_result=describe_result,
        )
        return handler

    return register


def get_kind(kind: str) -> JobKind:
    try:
        return _kinds[kind]
    except KeyError:
        raise UnknownJobKind(f"no handler registered for job kind {kind!r}") from None


def kind_label(kind: str) -> str:
    """The kind's Chinese label, or the kind itself when it is not registered."""
    registered = _kinds.get(kind)
    return registered.label if registered is not None else kind


def registered_kinds() -> list[JobKind]:
    return sorted(_kinds.values(), key=lambda k: k.kind)


def describe_params(kind: str, params: Mapping[str, Any]) -> str:
    """The 條件 summary of a request: the kind's describe(), else key：value."""
    registered = _kinds.get(kind)
    if registered is not None and registered.describe is not None:
        return registered.describe(params)
    return "、".join(f"{key}：{value}" for key, value in params.items())


def describe_result(kind: str, result: Mapping[str, Any] | None) -> str:
    registered = _kinds.get(kind)
    if registered is None or registered.describe_result is None or result is None:
        return ""
    try:
        return registered.describe_result(result)
    except Exception:
        # A stale result shape must not break the job list.
        logger.exception("describe_result of %s failed", kind)
        return ""


def _qualname(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"
