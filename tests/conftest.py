"""Shared fixtures: a small unit tree and the personas of every scope test.

Tree (codes):
    H000 衛生福利部 (central)
    ├── A000 甲市政府 (county)
    │   └── A100 甲市政府社會局 (local)
    │       ├── A110 甲市立醫院 (using unit)
    │       │   ├── A111 醫院志工隊 (team, 衛生福利)
    │       │   └── A112 醫院導覽志工隊 (team, 文化)
    │       └── A120 甲市立圖書館 (using unit)
    │           └── A121 圖書館志工隊 (team, 文化)
    └── B000 乙縣政府 (county)
        └── B100 乙縣政府教育局 (local)
            └── B110 乙縣立國小 (using unit)
                └── B111 國小志工隊 (team, 教育)

Personas: a clerk of A110 (a using unit), a clerk of A000 (the county above
it), a viewer of A000 (read only), a clerk of B000 (another county), an admin
of A000 (manages accounts), a superuser, and anonymous.
"""

import os
from dataclasses import dataclass

import pytest

from vsis.units.models import Level, Role, ServiceCategory, Unit, User


@dataclass
class Tree:
    central: Unit
    county_a: Unit
    bureau_a: Unit
    hospital: Unit
    hospital_team: Unit
    guide_team: Unit
    library: Unit
    library_team: Unit
    county_b: Unit
    bureau_b: Unit
    school: Unit
    school_team: Unit


def make_unit(
    code: str,
    name: str,
    level: int,
    parent: Unit | None = None,
    category: str | None = None,
) -> Unit:
    cat = ServiceCategory.objects.get(name=category) if category else None
    return Unit.objects.create(
        code=code, name=name, level=level, parent=parent, category=cat
    )


def ensure_categories() -> None:
    """Put back the migrations' service categories.

    A live-server (browser) test commits its rows, and the flush after it
    empties every table, the categories the migrations seeded included.
    """
    from vsis.units.categories import INITIAL_CATEGORIES

    for order, name in enumerate(INITIAL_CATEGORIES, start=1):
        ServiceCategory.objects.get_or_create(name=name, defaults={"sort_order": order})


def build_tree() -> Tree:
    ensure_categories()
    central = make_unit("H000", "衛生福利部", Level.CENTRAL)
    county_a = make_unit("A000", "甲市政府", Level.COUNTY, central)
    bureau_a = make_unit("A100", "甲市政府社會局", Level.LOCAL, county_a)
    hospital = make_unit("A110", "甲市立醫院", Level.USING, bureau_a)
    hospital_team = make_unit("A111", "醫院志工隊", Level.TEAM, hospital, "衛生福利")
    guide_team = make_unit("A112", "醫院導覽志工隊", Level.TEAM, hospital, "文化")
    library = make_unit("A120", "甲市立圖書館", Level.USING, bureau_a)
    library_team = make_unit("A121", "圖書館志工隊", Level.TEAM, library, "文化")
    county_b = make_unit("B000", "乙縣政府", Level.COUNTY, central)
    bureau_b = make_unit("B100", "乙縣政府教育局", Level.LOCAL, county_b)
    school = make_unit("B110", "乙縣立國小", Level.USING, bureau_b)
    school_team = make_unit("B111", "國小志工隊", Level.TEAM, school, "教育")
    for unit in (
        hospital,
        hospital_team,
        guide_team,
        library,
        library_team,
        county_a,
        bureau_a,
        county_b,
        bureau_b,
        school,
        school_team,
    ):
        unit.refresh_from_db()
    return Tree(
        central,
        county_a,
        bureau_a,
        hospital,
        hospital_team,
        guide_team,
        library,
        library_team,
        county_b,
        bureau_b,
        school,
        school_team,
    )


@pytest.fixture(autouse=True)
def fast_passwords(settings: object) -> None:
    # PBKDF2 at its production cost takes seconds per persona on a small machine.
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher"
    ]


@pytest.fixture
def tree(db: None) -> Tree:
    return build_tree()


@dataclass
class Personas:
    unit_clerk: User
    county_clerk: User
    viewer: User
    other_county_clerk: User
    county_admin: User
    superuser: User


PASSWORD = "vsis-test-pass-1"


def make_user(username: str, unit: Unit | None, role: str, **extra: object) -> User:
    user = User(username=username, unit=unit, role=role, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def personas(tree: Tree) -> Personas:
    return Personas(
        unit_clerk=make_user("hospital_clerk", tree.hospital, Role.CLERK),
        county_clerk=make_user("county_clerk", tree.county_a, Role.CLERK),
        viewer=make_user("county_viewer", tree.county_a, Role.VIEWER),
        other_county_clerk=make_user("b_clerk", tree.county_b, Role.CLERK),
        county_admin=make_user("county_admin", tree.county_a, Role.ADMIN),
        superuser=make_user(
            "root", None, Role.VIEWER, is_superuser=True, is_staff=True
        ),
    )


def browser_required() -> bool:
    """CI sets VSIS_REQUIRE_BROWSER=1: a missing Chromium is then a failure."""
    return os.environ.get("VSIS_REQUIRE_BROWSER") == "1"


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():  # type: ignore[no-untyped-def]
    """A headless Debian Chromium driven by Playwright (session-wide)."""
    if not os.path.exists(CHROMIUM):
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing; CI must install chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM
    # calls in the test body are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, tmp_path):  # type: ignore[no-untyped-def]
    """A fresh browser page that accepts downloads; closed after the test."""
    context = chromium.new_context(
        accept_downloads=True, locale="zh-TW", timezone_id="Asia/Taipei"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def login(page, live_server, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the login form."""
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
