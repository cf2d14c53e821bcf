import pytest
from django.http import Http404

from tests.conftest import Personas, Tree
from vsis.units.models import Unit
from vsis.units.scope import get_unit_in_scope, is_in_scope, units_in_scope


def test_paths_follow_the_tree(tree: Tree) -> None:
    assert tree.central.path == f"{tree.central.pk}/"
    assert tree.hospital_team.path == (
        f"{tree.central.pk}/{tree.county_a.pk}/{tree.bureau_a.pk}/"
        f"{tree.hospital.pk}/{tree.hospital_team.pk}/"
    )
    assert tree.hospital_team.depth == 4
    assert tree.hospital_team.is_within(tree.county_a)
    assert not tree.school_team.is_within(tree.county_a)


def test_moving_a_unit_rewrites_its_subtree(tree: Tree) -> None:
    library = tree.library
    library.parent = tree.bureau_b
    library.save()
    team = Unit.objects.get(pk=tree.library_team.pk)
    assert team.path == f"{library.path}{team.pk}/"
    assert team.path.startswith(tree.bureau_b.path)
    assert team.depth == 4


def test_a_unit_cannot_move_under_itself(tree: Tree) -> None:
    county = tree.county_a
    county.parent = tree.hospital
    with pytest.raises(ValueError, match="own subtree"):
        county.save()


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("unit_clerk", {"A110", "A111", "A112"}),
        ("county_clerk", {"A000", "A100", "A110", "A111", "A112", "A120", "A121"}),
        ("viewer", {"A000", "A100", "A110", "A111", "A112", "A120", "A121"}),
        ("other_county_clerk", {"B000", "B100", "B110", "B111"}),
    ],
)
def test_scope_is_the_subtree(personas: Personas, persona: str, sees: set[str]) -> None:
    user = getattr(personas, persona)
    assert set(units_in_scope(user).values_list("code", flat=True)) == sees


def test_superuser_sees_everything(personas: Personas) -> None:
    assert units_in_scope(personas.superuser).count() == Unit.objects.count() == 12


def test_out_of_scope_unit_is_404(personas: Personas, tree: Tree) -> None:
    assert get_unit_in_scope(personas.county_clerk, code="A111") == tree.hospital_team
    with pytest.raises(Http404):
        get_unit_in_scope(personas.unit_clerk, code="A121")
    with pytest.raises(Http404):
        get_unit_in_scope(personas.other_county_clerk, code="A000")
    with pytest.raises(Http404):
        get_unit_in_scope(personas.county_clerk, code="NOPE")
    assert not is_in_scope(personas.unit_clerk, tree.county_a)


def test_anonymous_sees_nothing(tree: Tree) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert units_in_scope(AnonymousUser()).count() == 0


def ancestors_of(unit: Unit) -> set[int]:
    from vsis.units.models import UnitAncestor

    return set(
        UnitAncestor.objects.filter(unit=unit).values_list("ancestor_id", flat=True)
    )


def test_the_closure_lists_every_ancestor_and_the_unit_itself(tree: Tree) -> None:
    assert ancestors_of(tree.hospital_team) == {
        tree.central.pk,
        tree.county_a.pk,
        tree.bureau_a.pk,
        tree.hospital.pk,
        tree.hospital_team.pk,
    }
    assert ancestors_of(tree.central) == {tree.central.pk}


def test_the_closure_follows_a_move(tree: Tree) -> None:
    library = tree.library
    library.parent = tree.bureau_b
    library.save()
    assert ancestors_of(tree.library_team) == {
        tree.central.pk,
        tree.county_b.pk,
        tree.bureau_b.pk,
        tree.library.pk,
        tree.library_team.pk,
    }
