"""The three sizes of synthetic data and the figures they are calibrated to.

Calibration targets come from DOMAIN.md §1 (published national figures); the
generator draws around them, and tests/seed checks the shares it produces.
"""

from dataclasses import dataclass

# 2022: 男 338,072 / 女 766,989 of 1,105,061 volunteers.
MALE_SHARE = 338_072 / 1_105_061

# Share of volunteers per age bracket at the end of the last full year, in the
# order of vsis.core.ages.BRACKETS. 65+ was 31.1 % (2022) and 35.6 % (2024);
# 55-64 was 23.9 % (2022); the rest is spread with few under 18.
AGE_SHARES = (0.008, 0.025, 0.075, 0.190, 0.122, 0.240, 0.340)

# Service categories of the county teams (2022: 衛生福利 42.4 %, 教育 28.1 %,
# 環境保護 20.0 %, all others 9.5 %). The ministries' own teams take their
# ministry's field, which moves the national shares by well under a point.
COUNTY_CATEGORY_SHARES = (
    ("衛生福利", 0.424),
    ("教育", 0.281),
    ("環境保護", 0.200),
    ("文化", 0.030),
    ("警政", 0.012),
    ("消防", 0.010),
    ("交通", 0.008),
    ("體育", 0.008),
    ("民政", 0.008),
    ("農業", 0.005),
    ("其他", 0.005),
    ("勞動", 0.003),
    ("原住民族", 0.003),
    ("客家", 0.003),
)

# Of the people generated, the share counted at the end of the last full year
# (the rest joined since, left before, quit without a date or are new interns):
# a scale's `volunteers` is the counted figure, so it generates more people.
COUNTED_SHARE = 0.88
MEAN_TEAM_SIZE = 57  # memberships per team, on average
SECOND_TEAM_SHARE = 0.06  # volunteers who also serve in a second team
HOURS_PER_VOLUNTEER_YEAR = 95  # 2024: 103.2 million hours / 1.11 million
RECORDS_PER_VOLUNTEER_YEAR = 27  # about 30 million records a year nationally
PERSONS_SERVED_PER_HOUR = 4.0  # 2022: 396.5 million persons / 89.1 million hours


@dataclass(frozen=True)
class CountySpec:
    """A 直轄市 or 縣(市): `letter` is its national-ID letter and unit-code prefix;
    `weight` its relative number of teams; `size` its relative team size."""

    name: str
    letter: str
    weight: int
    size: float = 1.0

    @property
    def government(self) -> str:
        return f"{self.name}政府"


@dataclass(frozen=True)
class MinistrySpec:
    """A 中央目的事業主管機關 with using units and teams of its own."""

    name: str
    category: str
    weight: int
    unit_kinds: tuple[str, ...]


@dataclass(frozen=True)
class Scale:
    name: str
    counties: tuple[CountySpec, ...]
    ministries: tuple[MinistrySpec, ...]
    teams: int  # all teams, the ministries' included
    ministry_teams: int
    volunteers: int  # counted at the end of the last full year
    records: int | None  # default number of service records; None: from the rate
    with_this_year: bool  # records also cover this year up to yesterday


# Real county names and ID letters (public administrative names). Weights are
# rough team counts: from under 200 (連江縣) to over 2,200 (新北市), whose larger
# teams give it over 190,000 volunteers.
COUNTIES = (
    CountySpec("臺北市", "A", 1900),
    CountySpec("臺中市", "B", 2000),
    CountySpec("基隆市", "C", 330),
    CountySpec("臺南市", "D", 1600),
    CountySpec("高雄市", "E", 2050),
    CountySpec("新北市", "F", 2400, 1.4),
    CountySpec("宜蘭縣", "G", 480),
    CountySpec("桃園市", "H", 1450),
    CountySpec("嘉義市", "I", 290),
    CountySpec("新竹縣", "J", 430),
    CountySpec("苗栗縣", "K", 480),
    CountySpec("南投縣", "M", 520),
    CountySpec("彰化縣", "N", 1000),
    CountySpec("新竹市", "O", 380),
    CountySpec("雲林縣", "P", 620),
    CountySpec("嘉義縣", "Q", 560),
    CountySpec("屏東縣", "T", 800),
    CountySpec("花蓮縣", "U", 380),
    CountySpec("臺東縣", "V", 330),
    CountySpec("金門縣", "W", 210),
    CountySpec("澎湖縣", "X", 240),
    CountySpec("連江縣", "Z", 150),
)

MINISTRIES = (
    MinistrySpec("教育部", "教育", 60, ("國立{p}大學", "國立{p}高級中學")),
    MinistrySpec("文化部", "文化", 40, ("國立{p}博物館", "國立{p}美術館")),
    MinistrySpec("環境部", "環境保護", 25, ("{p}環境教育中心",)),
    MinistrySpec("內政部", "民政", 20, ("{p}國家公園管理處", "{p}移民服務站")),
    MinistrySpec("交通部", "交通", 25, ("{p}國家風景區管理處", "{p}車站")),
    MinistrySpec("農業部", "農業", 15, ("{p}林區管理處", "{p}農業改良場")),
    MinistrySpec("勞動部", "勞動", 10, ("{p}就業服務中心",)),
    MinistrySpec("國防部", "國防", 8, ("國軍{p}總醫院",)),
    MinistrySpec("法務部", "法務", 8, ("{p}地方檢察署", "{p}監獄")),
    MinistrySpec("客家委員會", "客家", 6, ("{p}客家文化園區",)),
    MinistrySpec("原住民族委員會", "原住民族", 6, ("{p}原住民族文化園區",)),
    MinistrySpec("海洋委員會", "海洋", 5, ("{p}海巡隊",)),
)

DEMO_COUNTIES = (
    CountySpec("示範市", "X", 36),
    CountySpec("範例縣", "Y", 20),
)

SCALES = {
    "demo": Scale(
        name="demo",
        counties=DEMO_COUNTIES,
        ministries=(MINISTRIES[0],),
        teams=60,
        ministry_teams=4,
        volunteers=3_000,
        records=None,
        with_this_year=True,
    ),
    "county": Scale(
        name="county",
        counties=(COUNTIES[5],),
        ministries=(),
        teams=1_650,
        ministry_teams=0,
        volunteers=100_000,
        records=3_000_000,
        with_this_year=False,
    ),
    "national": Scale(
        name="national",
        counties=COUNTIES,
        ministries=MINISTRIES,
        teams=19_500,
        ministry_teams=450,
        volunteers=1_100_000,
        records=30_000_000,
        with_this_year=False,
    ),
}


def scaled(scale: Scale, volunteers: int) -> Scale:
    """The same shape with fewer (or more) volunteers and teams in proportion.

    Used by the tests to check calibration on a small but realistic tree.
    """
    factor = volunteers / scale.volunteers
    teams = max(len(scale.counties) * 2, round(scale.teams * factor))
    ministry_teams = min(teams // 4, round(scale.ministry_teams * factor))
    ministries = scale.ministries
    if ministries:
        # At least a team per ministry kept: the first ones, the largest.
        ministry_teams = max(ministry_teams, 1)
        ministries = ministries[: min(len(ministries), ministry_teams)]
    records = None if scale.records is None else round(scale.records * factor)
    return Scale(
        name=scale.name,
        counties=scale.counties,
        ministries=ministries,
        teams=teams,
        ministry_teams=ministry_teams,
        volunteers=volunteers,
        records=records,
        with_this_year=scale.with_this_year,
    )
