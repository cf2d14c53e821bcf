from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"today": timezone.localdate()})


def placeholder(title: str):  # type: ignore[no-untyped-def]
    """A page for a menu entry whose feature is still being built."""

    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "web/placeholder.html", {"title": title})

    return view
