"""The body-map figures: a point on each figure and view is named as the right body region, left
and right are the child's own, and every point of the drawing belongs to exactly one region."""
import re

import pytest

from fieldvisit.bodymap import figures
from fieldvisit.bodymap.domain import MarkInvalid, placement
from fieldvisit.settings import DEFAULTS

EVERY_VIEW = [(figure, view) for figure in figures.FIGURES for view in figures.VIEWS]


@pytest.mark.parametrize("figure, view", EVERY_VIEW)
def test_the_marker_spot_of_every_region_is_named_as_that_region(figure, view):
    drawing = figures.view(figure, view)
    assert len(drawing.regions) >= 8
    for region in drawing.regions:
        x, y = drawing.spot(region.key)
        assert drawing.region_at(x, y) is region, f"{figure}/{view}: {region.label} at {(x, y)}"


@pytest.mark.parametrize("figure, view", EVERY_VIEW)
def test_every_point_of_the_drawing_is_in_a_region_and_nothing_outside_it_is(figure, view):
    """The named regions tile the outline: a tap on the body always names a region, off it never does."""
    from fieldvisit.bodymap.geometry import contains, distance_to_edge
    drawing = figures.view(figure, view)
    for i in range(0, drawing.width, 4):
        for j in range(0, drawing.height, 4):
            x, y = i + 0.37, j + 0.61  # off the grid of the drawing's own coordinates
            on_body = any(contains(part, x, y) for part in drawing.outline)
            if (drawing.region_at(x, y) is not None) != on_body:
                # only a point on the outline itself may fall either way
                assert min(distance_to_edge(part, x, y) for part in drawing.outline) < 0.5, f"{figure}/{view} {(x, y)}"


@pytest.mark.parametrize("figure, view", EVERY_VIEW)
def test_region_names_are_unique_and_say_which_side_is_the_childs(figure, view):
    drawing = figures.view(figure, view)
    keys = [region.key for region in drawing.regions]
    assert len(keys) == len(set(keys))
    for region in drawing.regions:
        assert region.key == re.sub(r"[^a-z0-9]+", "_", region.label.lower()).strip("_")


def child_side(region):
    words = region.label.split()
    return "right" if "right" in words else "left" if "left" in words else None


@pytest.mark.parametrize("figure", figures.FIGURES)
def test_on_the_front_the_childs_left_is_on_the_viewers_right(figure):
    drawing = figures.view(figure, "front")
    for region in drawing.regions:
        x, _ = drawing.spot(region.key)
        if child_side(region) == "left":
            assert x > figures.CENTRE, region.label
        elif child_side(region) == "right":
            assert x < figures.CENTRE, region.label


@pytest.mark.parametrize("figure", figures.FIGURES)
def test_on_the_back_the_childs_left_is_on_the_viewers_left(figure):
    drawing = figures.view(figure, "back")
    for region in drawing.regions:
        x, _ = drawing.spot(region.key)
        if child_side(region) == "left":
            assert x < figures.CENTRE, region.label
        elif child_side(region) == "right":
            assert x > figures.CENTRE, region.label


@pytest.mark.parametrize("view", ["head", "hands", "feet"])
def test_enlarged_views_keep_the_same_rule_facing_the_child_and_from_behind(view):
    """Face, palms and tops of the feet as if facing the child; back of head, backs of hands and soles from behind."""
    drawing = figures.view("toddler", view)
    for region in drawing.regions:
        x, y = drawing.spot(region.key)
        side = child_side(region)
        if side is None:
            continue
        if view == "head":
            # the face above, the back of the head below; each centred on the same line
            facing, on_viewers_left = y < 305, x < 120
        else:
            # the child's right hand or foot is in the left column when facing, the right from behind
            facing, on_viewers_left = y < 250, x < 200
        assert on_viewers_left == ((side == "right") == facing), region.label


@pytest.mark.parametrize("figure, view, x, y, label", [
    ("baby", "front", 117.8, 73.6, "left cheek"),
    ("baby", "front", 82.0, 73.6, "right cheek"),
    ("baby", "front", 100, 15, "top of head"),
    ("baby", "front", 100, 190, "tummy (abdomen)"),
    ("baby", "back", 100, 175, "lower back"),
    ("baby", "back", 120, 210, "right buttock"),
    ("toddler", "front", 112, 36, "forehead"),
    ("child", "front", 126, 325, "left shin"),
    ("young_person", "back", 75, 110, "left upper back"),
    ("young_person", "front", 100, 183, "genital area"),
    ("child", "head", 120, 55, "top of head"),
    ("child", "head", 151.5, 130, "white of the left eye"),
    ("child", "head", 120, 180, "inside the mouth (gums, frenulum)"),
    ("child", "head", 150, 460, "back of head (right side)"),
    ("baby", "hands", 100, 165, "right palm"),
    ("baby", "hands", 300, 412, "back of right hand"),
    ("young_person", "feet", 100, 225, "right ankle (front)"),
    ("young_person", "feet", 300, 470, "right heel (underneath)"),
])
def test_a_point_names_its_region(figure, view, x, y, label):
    assert figures.view(figure, view).region_at(x, y).label == label


@pytest.mark.parametrize("figure, view, x, y", [
    ("baby", "front", 3, 3), ("baby", "front", 100, 399), ("child", "back", 5, 200),
    ("toddler", "head", 120, 305), ("young_person", "hands", 200, 250), ("baby", "feet", 10, 400),
])
def test_a_point_off_the_body_names_no_region(figure, view, x, y):
    assert figures.view(figure, view).region_at(x, y) is None


def test_a_tapped_point_is_recorded_with_its_region():
    assert placement("baby", "front/left_cheek", 117.8, 73.6) == {
        "figure": "baby", "view": "front", "region": "left_cheek", "region_label": "left cheek",
        "x": 117.8, "y": 73.6, "placed_by": "tap"}


def test_a_region_chosen_from_the_list_is_placed_on_that_region():
    where = placement("child", "back/lower_back")
    assert where["placed_by"] == "list"
    assert figures.view("child", "back").region_at(where["x"], where["y"]).label == "lower back"


def test_a_tap_just_off_the_edge_of_the_region_chosen_is_accepted():
    drawing = figures.view("baby", "front")
    x, y = drawing.spot("left_cheek")
    while drawing.region_at(x, y) is not None:  # walk right until just off the face
        x += 0.5
    assert placement("baby", "front/left_cheek", x + 0.5, y)["region"] == "left_cheek"
    with pytest.raises(MarkInvalid):
        placement("baby", "front/left_cheek", x + 8, y)


@pytest.mark.parametrize("figure, region, x, y, message", [
    ("baby", "front/left_cheek", 3, 3, "outside the figure"),
    ("baby", "front/left_cheek", -40, 73, "outside the figure"),
    ("baby", "front/left_cheek", 100, 500, "outside the figure"),
    ("baby", "front/left_cheek", 82.0, 73.6, "on the right cheek, but the region chosen is the left cheek"),
    ("baby", "front/no_such_place", None, None, "Choose where the mark is"),
    ("baby", "sideways/left_cheek", None, None, "Choose where the mark is"),
    ("baby", "", None, None, "Choose where the mark is"),
    ("giant", "front/left_cheek", None, None, "Choose a figure"),
    ("baby", "front/left_cheek", 117.8, None, "Tap the figure again"),
])
def test_bad_places_are_refused_with_a_clear_message(figure, region, x, y, message):
    with pytest.raises(MarkInvalid) as refused:
        placement(figure, region, x, y)
    assert message in next(iter(refused.value.errors.values()))


def test_every_region_can_be_chosen_from_the_list_by_name():
    for figure in figures.FIGURES:
        choices = figures.region_choices(figure)
        assert [group for group, _ in choices] == list(figures.VIEWS.values())
        for _, options in choices:
            for value, label in options:
                view_key, region_key = figures.parse_region(value)
                assert figures.view(figure, view_key).region(region_key).label == label


@pytest.mark.parametrize("months, figure", [(0, "baby"), (11, "baby"), (12, "toddler"), (35, "toddler"),
                                            (36, "child"), (131, "child"), (132, "young_person"), (200, "young_person")])
def test_the_figure_is_chosen_from_the_childs_age(months, figure):
    assert figures.figure_for_age(months, DEFAULTS) == figure


def test_a_mark_made_on_the_baby_figure_falls_in_the_same_region_of_an_older_figure():
    for key in ("left_cheek", "lower_back", "right_calf", "left_upper_arm_back"):
        view_key = "front" if key == "left_cheek" else "back"
        x, y = figures.view("baby", view_key).spot(key)
        for figure in ("toddler", "child", "young_person"):
            placed = figures.place_on(figure, view_key, key, x, y, "baby")
            assert figures.view(figure, view_key).region_at(*placed).key == key


def test_the_head_hands_and_feet_views_have_the_ten4_regions():
    head = figures.view("baby", "head")
    zones = {region.ten4 for region in head.regions if region.ten4}
    assert zones == {"ear", "neck", "frenulum", "jaw", "cheek", "eyelid", "subconjunctiva"}
    assert {r.ten4 for r in figures.view("baby", "back").regions} >= {"torso", "ear", "neck"}
