"""Two people saving the same draft at the same moment, in two threads with
their own database connections: the row lock and the version number let
exactly one win; the other is told, and nothing of the winner is lost."""

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError, connection

from tests.conftest import Personas
from tests.returns.conftest import YEAR, Crowd, reload
from vsis.returns.errors import StaleVersion
from vsis.returns.services import create_return, fill_return, save_return


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_of_one_version(crowd: Crowd, personas: Personas) -> None:
    clerk, county = personas.unit_clerk, personas.county_clerk
    ret = fill_return(
        create_return(crowd.wide.tree.hospital, YEAR, actor=clerk), actor=clerk
    )
    version = ret.version
    start = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def save(name: str, actor: Any, values: dict[str, Decimal]) -> None:
        start.wait(timeout=10)
        try:
            for _ in range(200):
                try:
                    save_return(ret, values, actor=actor, expected_version=version)
                except OperationalError as error:
                    # SQLite's shared-cache test database answers "table is
                    # locked" where the real file database (busy_timeout)
                    # would wait: wait here instead.
                    if "locked" not in str(error):
                        raise
                    time.sleep(0.01)
                    continue
                outcomes[name] = "saved"
                return
        except StaleVersion as error:
            outcomes[name] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=save, args=("clerk", clerk, {"funding": Decimal(1000)})
        ),
        threading.Thread(
            target=save, args=("county", county, {"persons_served": Decimal(30)})
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(str(type(o).__name__) for o in outcomes.values()) == [
        "StaleVersion",
        "str",
    ]
    winner = next(name for name, o in outcomes.items() if o == "saved")
    loser = next(o for o in outcomes.values() if isinstance(o, StaleVersion))
    current = reload(ret)
    assert current.version == version + 1
    expected = {"clerk": {"funding": "1000"}, "county": {"persons_served": "30"}}
    assert current.entered == expected[winner]
    assert loser.current_version == version + 1
