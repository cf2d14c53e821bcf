"""What a user sees when something breaks, with DEBUG off as in production."""

import pytest
from django.test import Client
from django.urls import path

from vsis.config.urls import urlpatterns as site_patterns


def broken(request: object) -> None:
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken), *site_patterns]


@pytest.mark.urls("tests.web.test_error_pages")
def test_a_server_error_page_is_chinese(settings: object, db: None) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "系統發生錯誤" in body and "本次操作未完成" in body
    assert "Server Error" not in body
