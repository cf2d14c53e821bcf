from django.test import Client

from tests.conftest import PASSWORD, Personas


def test_home_needs_a_login(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_clerk_logs_in_and_sees_the_menu(client: Client, personas: Personas) -> None:
    response = client.post(
        "/login/", {"username": "hospital_clerk", "password": PASSWORD}, follow=True
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "報表列印" in body and "志工年齡分布表" in body
    assert "甲市立醫院" in body and "承辦人" in body


def test_a_wrong_password_is_refused_in_chinese(
    client: Client, personas: Personas
) -> None:
    response = client.post("/login/", {"username": "hospital_clerk", "password": "x"})
    assert response.status_code == 200
    assert "輸入正確的" in response.content.decode()


def test_a_browser_asking_for_english_still_gets_chinese(
    client: Client, personas: Personas
) -> None:
    english = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
    refused = client.post(
        "/login/", {"username": "hospital_clerk", "password": "x"}, **english
    )
    assert "輸入正確的" in refused.content.decode()

    client.force_login(personas.unit_clerk)
    admin = client.get("/admin/volunteers/volunteer/", **english).content.decode()
    assert "選擇 志工 來修改" in admin and "登出" in admin
    assert "Select" not in admin and "Log out" not in admin
