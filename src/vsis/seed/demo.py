"""The demo logins every seeded database gets (README 快速開始)."""

from dataclasses import dataclass

DEMO_PASSWORD = "vsis-demo"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # units.models.Role value
    place: str  # which unit: root, county, hospital
    superuser: bool = False


# The county is the first county of the scale (示範市政府 in the demo), the
# hospital its 市立醫院 (示範市立醫院), a using unit under its 衛生局.
DEMO_ACCOUNTS = (
    DemoAccount("admin", "admin", "root", superuser=True),
    DemoAccount("mohw", "clerk", "root"),
    DemoAccount("county", "clerk", "county"),
    DemoAccount("clerk", "clerk", "hospital"),
    DemoAccount("viewer", "viewer", "county"),
)
