"""Body-map figures drawn as our own SVG, with named regions, and which region a point is in.

Four figures (baby, toddler, child, young person), each with a front and a back view,
and enlarged views of the head and face, the hands and the feet. Each view is a list
of named regions drawn in order; a point belongs to the last region drawn that
contains it, which is also the region a browser's hit-testing finds under a tap, so
the page and the server always name the same region.

Left and right are always the child's own: on the front view (and wherever you face
the child) the child's left is on your right; on the back view (and wherever you are
behind the child) the child's left is on your left.
"""
import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from fieldvisit.bodymap.geometry import (Limb, area, bounds, clip_box, contains, distance_to_edge, ellipse,
                                         interior_point)

FIGURES = {"baby": "Baby", "toddler": "Toddler", "child": "Child", "young_person": "Young person"}
VIEWS = {"front": "Front", "back": "Back", "head": "Head and face", "hands": "Hands", "feet": "Feet"}
TAB_LABELS = {"front": "Front", "back": "Back", "head": "Head", "hands": "Hands", "feet": "Feet"}
# How each view is oriented, in words shown beside the figure.
ORIENTATION = {
    "front": "Front view, as if you are facing the child: the child's right is on your left.",
    "back": "Back view, as if you are behind the child: the child's right is on your right.",
    "head": "The face as if you are facing the child (their right is on your left); below it, "
            "the back of the head as if you are behind them (their right is on your right).",
    "hands": "Top row: palms, as if you are facing the child. Bottom row: backs of the hands, as if you are behind them.",
    "feet": "Top row: tops of the feet, as if you are facing the child. Bottom row: soles, as if you are behind them.",
}
# TEN-4-FACESp bruising regions (SAFEGUARDING.md rule 4), shown as an advisory prompt only.
TEN4_ZONES = {
    "torso": "torso", "ear": "ears", "neck": "neck", "frenulum": "frenulum", "jaw": "angle of jaw",
    "cheek": "cheeks", "eyelid": "eyelids", "subconjunctiva": "subconjunctivae",
}
WHOLE_BODY_HEIGHT = 380
TOP = 10
CENTRE = 100


@dataclass(frozen=True)
class Region:
    key: str
    label: str
    polygons: tuple
    ten4: str = ""

    @cached_property
    def path(self):
        return " ".join("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in polygon) + " Z" for polygon in self.polygons)

    @cached_property
    def centre(self):
        """A point well inside the region's largest shape (regions drawn later may cover it)."""
        largest = max(self.polygons, key=lambda polygon: abs(area(polygon)))
        x, y = interior_point(largest)
        return round(x, 1), round(y, 1)

    @cached_property
    def box(self):
        return bounds(self.polygons)

    def contains(self, x, y):
        x0, y0, x1, y1 = self.box
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        return any(contains(polygon, x, y) for polygon in self.polygons)

    def distance(self, x, y):
        if self.contains(x, y):
            return 0.0
        return min(distance_to_edge(polygon, x, y) for polygon in self.polygons)


@dataclass(frozen=True)
class View:
    figure: str
    key: str
    width: int
    height: int
    regions: tuple
    outline: tuple
    details: tuple = ()
    texts: tuple = ()

    @property
    def label(self):
        return VIEWS[self.key]

    @property
    def tab_label(self):
        return TAB_LABELS[self.key]

    @property
    def orientation(self):
        return ORIENTATION[self.key]

    @property
    def marker_radius(self):
        return round(self.width * 0.035, 1)

    @property
    def outline_paths(self):
        return [Region("", "", (polygon,)).path for polygon in self.outline]

    def region(self, key):
        for region in self.regions:
            if region.key == key:
                return region
        return None

    def region_at(self, x, y):
        """The region drawn on top at (x, y), or None outside the figure."""
        for region in reversed(self.regions):
            if region.contains(x, y):
                return region
        return None

    def inside_canvas(self, x, y):
        return 0 <= x <= self.width and 0 <= y <= self.height

    def spot(self, region_key):
        """Where the marker goes when a region is chosen from the list: inside the visible part of it."""
        return _spot(self.figure, self.key, region_key)


@lru_cache(maxsize=None)
def _spot(figure, view_key, region_key):
    drawing = view(figure, view_key)
    region = drawing.region(region_key)
    x, y = region.centre
    if drawing.region_at(x, y) is region and all(
            drawing.region_at(x + dx, y + dy) is region for dx, dy in ((2, 0), (-2, 0), (0, 2), (0, -2))):
        return x, y
    x0, y0, x1, y1 = region.box
    step = max(0.5, min(x1 - x0, y1 - y0) / 24)
    visible = [(x0 + i * step, y0 + j * step)
               for i in range(int((x1 - x0) / step) + 1) for j in range(int((y1 - y0) / step) + 1)
               if drawing.region_at(x0 + i * step, y0 + j * step) is region]
    mx = sum(p[0] for p in visible) / len(visible)
    my = sum(p[1] for p in visible) / len(visible)
    margin = [p for p in visible if all(drawing.region_at(p[0] + dx, p[1] + dy) is region
                                        for dx, dy in ((step, 0), (-step, 0), (0, step), (0, -step)))] or visible
    x, y = min(margin, key=lambda p: (p[0] - mx) ** 2 + (p[1] - my) ** 2)
    return round(x, 1), round(y, 1)


def slug(label):
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


class Builder:
    """Collects a view's regions in drawing order, skipping empty clips."""

    def __init__(self):
        self.regions = []
        self.outline = []

    def part(self, polygon):
        self.outline.append(polygon)
        return polygon

    def add(self, label, *polygons, ten4=""):
        polygons = tuple(p for p in polygons if len(p) >= 3 and abs(area(p)) > 0.5)
        if polygons:
            key = slug(label)
            assert all(r.key != key for r in self.regions), f"two regions named {label}"
            self.regions.append(Region(key, label, polygons, ten4))


# Proportions of each figure on a 200 x 400 canvas (380 units from the top of the head to the soles).
PROPORTIONS = {
    "baby": {"head": 0.25, "head_ratio": 0.86, "neck": 0.012, "torso": 0.31, "shoulders": 94, "waist": 88, "hips": 90,
             "arm": (0.125, 0.105, 0.075), "arm_widths": (27, 23, 19, 25), "arm_angle": 26,
             "leg_widths": (45, 31, 22, 25), "leg_angle": 7},
    "toddler": {"head": 0.21, "head_ratio": 0.84, "neck": 0.02, "torso": 0.3, "shoulders": 90, "waist": 78, "hips": 82,
                "arm": (0.145, 0.12, 0.075), "arm_widths": (24, 20, 16, 21), "arm_angle": 20,
                "leg_widths": (41, 27, 19, 22), "leg_angle": 5},
    "child": {"head": 0.17, "head_ratio": 0.8, "neck": 0.03, "torso": 0.3, "shoulders": 88, "waist": 70, "hips": 76,
              "arm": (0.165, 0.14, 0.08), "arm_widths": (21, 17, 13, 18), "arm_angle": 15,
              "leg_widths": (38, 24, 16, 19), "leg_angle": 4},
    "young_person": {"head": 0.145, "head_ratio": 0.76, "neck": 0.035, "torso": 0.31, "shoulders": 96, "waist": 70,
                     "hips": 80, "arm": (0.185, 0.15, 0.085), "arm_widths": (20, 16, 12, 17), "arm_angle": 12,
                     "leg_widths": (40, 24, 15, 18), "leg_angle": 3},
}


def face_regions(b, cx, top, width, height, detailed):
    """The face seen from the front: the child's right cheek is on the viewer's left."""
    head = b.part(ellipse(cx, top + height / 2, width / 2, height / 2, 48))
    x = lambda u: cx - width / 2 + u * width  # noqa: E731
    y = lambda v: top + v * height  # noqa: E731
    b.add("top of head", clip_box(head, y1=y(0.22)))
    b.add("forehead", clip_box(head, y0=y(0.22), y1=y(0.42)))
    b.add("right cheek", clip_box(head, y0=y(0.42), x1=x(0.5)), ten4="cheek")
    b.add("left cheek", clip_box(head, y0=y(0.42), x0=x(0.5)), ten4="cheek")
    b.add("right angle of jaw", clip_box(head, y0=y(0.72), x1=x(0.28)), ten4="jaw")
    b.add("left angle of jaw", clip_box(head, y0=y(0.72), x0=x(0.72)), ten4="jaw")
    b.add("chin", clip_box(head, y0=y(0.88), x0=x(0.3), x1=x(0.7)))
    if detailed:
        b.add("nose", clip_box(head, x0=x(0.42), x1=x(0.58), y0=y(0.44), y1=y(0.68)))
        b.add("lips", ellipse(x(0.5), y(0.78), 0.14 * width, 0.06 * height))
        b.add("inside the mouth (gums, frenulum)", ellipse(x(0.5), y(0.78), 0.085 * width, 0.022 * height),
              ten4="frenulum")
        for side, u in (("right", 0.29), ("left", 0.71)):
            b.add(f"{side} eyelids", ellipse(x(u), y(0.5), 0.13 * width, 0.075 * height), ten4="eyelid")
            b.add(f"white of the {side} eye", ellipse(x(u), y(0.5), 0.075 * width, 0.03 * height),
                  ten4="subconjunctiva")
    else:
        b.add("nose and mouth", clip_box(head, x0=x(0.38), x1=x(0.62), y0=y(0.47), y1=y(0.87)))
        for side, u in (("right", 0.29), ("left", 0.71)):
            b.add(f"{side} eye and eyelids", ellipse(x(u), y(0.51), 0.14 * width, 0.075 * height), ten4="eyelid")


def face_details(cx, top, width, height):
    """Eyes, nose and mouth as thin lines, to show which way the figure faces."""
    x = lambda u: cx - width / 2 + u * width  # noqa: E731
    y = lambda v: top + v * height  # noqa: E731
    eye = 0.07 * width
    lines = []
    for u in (0.29, 0.71):
        lines.append(f"M{x(u) - eye:.1f} {y(0.51):.1f} Q{x(u):.1f} {y(0.47):.1f} {x(u) + eye:.1f} {y(0.51):.1f}"
                     f" Q{x(u):.1f} {y(0.545):.1f} {x(u) - eye:.1f} {y(0.51):.1f}")
    lines.append(f"M{x(0.5):.1f} {y(0.55):.1f} L{x(0.47):.1f} {y(0.66):.1f} L{x(0.53):.1f} {y(0.66):.1f}")
    lines.append(f"M{x(0.4):.1f} {y(0.77):.1f} Q{x(0.5):.1f} {y(0.82):.1f} {x(0.6):.1f} {y(0.77):.1f}")
    return lines


def ears(b, cx, top, width, height, labels):
    """Ears drawn before the head, so the head covers their inner half. `labels` are (viewer's left, right)."""
    for direction, label in zip((-1, 1), labels):
        b.add(label, b.part(ellipse(cx + direction * width / 2, top + height * 0.53, width * 0.1, height * 0.13, 24)),
              ten4="ear")


def whole_body(figure, side):
    """The front or back of a figure. On the front the child's right is on the viewer's left."""
    p = PROPORTIONS[figure]
    b = Builder()
    H = WHOLE_BODY_HEIGHT
    cx = CENTRE
    near, far = ("right", "left") if side == "front" else ("left", "right")  # viewer's left, viewer's right
    head_h = p["head"] * H
    head_w = head_h * p["head_ratio"]
    neck_w = head_w * 0.42
    ys = TOP + head_h + p["neck"] * H  # base of the neck
    th = p["torso"] * H
    yb = ys + th
    sw, ww, hw = p["shoulders"] / 2, p["waist"] / 2, p["hips"] / 2
    drop = 0.1 * th

    # Parts drawn first lie underneath: ears, neck, torso, legs, arms, then the head on top.
    if side == "front":
        ears(b, cx, TOP, head_w, head_h, ("right ear", "left ear"))
    else:
        ears(b, cx, TOP, head_w, head_h, ("behind left ear", "behind right ear"))
    neck = b.part(((cx - neck_w / 2, TOP + head_h * 0.8), (cx + neck_w / 2, TOP + head_h * 0.8),
                   (cx + neck_w / 2, ys + 3), (cx - neck_w / 2, ys + 3)))
    b.add("neck (front)" if side == "front" else "back of neck", neck, ten4="neck")

    left_side = [(cx - neck_w / 2, ys), (cx - sw * 0.62, ys + 0.45 * drop), (cx - sw * 0.88, ys + 0.85 * drop),
                 (cx - sw * 0.97, ys + 1.2 * drop), (cx - sw + 2, ys + 0.32 * th), (cx - ww, ys + 0.6 * th),
                 (cx - hw, ys + 0.82 * th), (cx - hw * 0.97, yb)]
    torso = b.part(tuple(left_side + [(2 * cx - x, y) for x, y in reversed(left_side)]))
    chest_end, belly_end = ys + 0.46 * th, ys + 0.78 * th
    if side == "front":
        b.add("right side of chest", clip_box(torso, x1=cx, y1=chest_end), ten4="torso")
        b.add("left side of chest", clip_box(torso, x0=cx, y1=chest_end), ten4="torso")
        b.add("tummy (abdomen)", clip_box(torso, y0=chest_end, y1=belly_end), ten4="torso")
        b.add("right hip (front)", clip_box(torso, y0=belly_end, x1=cx - hw * 0.42), ten4="torso")
        b.add("genital area", clip_box(torso, y0=belly_end, x0=cx - hw * 0.42, x1=cx + hw * 0.42), ten4="torso")
        b.add("left hip (front)", clip_box(torso, y0=belly_end, x0=cx + hw * 0.42), ten4="torso")
    else:
        b.add("left upper back", clip_box(torso, x1=cx, y1=chest_end), ten4="torso")
        b.add("right upper back", clip_box(torso, x0=cx, y1=chest_end), ten4="torso")
        b.add("lower back", clip_box(torso, y0=chest_end, y1=belly_end), ten4="torso")
        b.add("left buttock", clip_box(torso, y0=belly_end, x1=cx), ten4="torso")
        b.add("right buttock", clip_box(torso, y0=belly_end, x0=cx), ten4="torso")

    legs(b, p, side, cx, yb, hw, (near, far))
    arms(b, p, side, cx, ys, sw, drop, (near, far))

    face_top = TOP
    if side == "front":
        face_regions(b, cx, face_top, head_w, head_h, detailed=False)
        details = face_details(cx, face_top, head_w, head_h)
        details.append(f"M{cx - 1.5:.1f} {ys + 0.7 * th:.1f} a1.5 1.5 0 1 0 3 0 a1.5 1.5 0 1 0 -3 0")  # navel
    else:
        head = b.part(ellipse(cx, TOP + head_h / 2, head_w / 2, head_h / 2, 48))
        b.add("crown of head", clip_box(head, y1=TOP + 0.3 * head_h))
        b.add("back of head", clip_box(head, y0=TOP + 0.3 * head_h))
        details = [f"M{cx:.1f} {ys + 0.12 * th:.1f} L{cx:.1f} {ys + 0.74 * th:.1f}",  # spine
                   f"M{cx:.1f} {ys + 0.86 * th:.1f} L{cx:.1f} {yb:.1f}"]  # between the buttocks
    texts = ((8, 392, "Right" if side == "front" else "Left", "start"),
             (192, 392, "Left" if side == "front" else "Right", "end"))
    return View(figure, side, 200, 400, tuple(b.regions), tuple(b.outline), tuple(details), texts)


def arms(b, p, side, cx, ys, sw, drop, names):
    """Both arms, hanging a little away from the body, each cut into named sections."""
    upper, fore, hand = (fraction * WHOLE_BODY_HEIGHT for fraction in p["arm"])
    widths = p["arm_widths"]
    angle = math.radians(p["arm_angle"])
    for direction, name in zip((-1, 1), names):
        shoulder = (cx + direction * (sw - widths[0] / 2), ys + drop + widths[0] * 0.2)
        elbow = (shoulder[0] + direction * upper * math.sin(angle), shoulder[1] + upper * math.cos(angle))
        wrist = (elbow[0] + direction * fore * math.sin(angle * 0.7), elbow[1] + fore * math.cos(angle * 0.7))
        tip = (wrist[0] + direction * hand * math.sin(angle * 0.5), wrist[1] + hand * math.cos(angle * 0.5))
        limb = Limb((shoulder, elbow, wrist, tip), widths, round_start=True)
        b.part(limb.whole())
        joint = widths[1] * 0.55
        elbow_at, wrist_at = upper, upper + fore
        front = side == "front"
        b.add(f"{name} shoulder ({'front' if front else 'back'})", limb.section(0, widths[0] * 0.45))
        b.add(f"{name} upper arm ({'front' if front else 'back'})", limb.section(widths[0] * 0.45, elbow_at - joint))
        b.add(f"{name} elbow ({'front' if front else 'back'})", limb.section(elbow_at - joint, elbow_at + joint))
        b.add(f"{name} forearm ({'front' if front else 'back'})", limb.section(elbow_at + joint, wrist_at))
        b.add(f"{name} hand (palm)" if front else f"back of {name} hand", limb.section(wrist_at, limb.length))


def legs(b, p, side, cx, yb, hw, names):
    """Both legs from the hips to the feet, each cut into named sections."""
    widths = p["leg_widths"]
    angle = math.radians(p["leg_angle"])
    foot_w = widths[3]
    hip_y = yb - 8
    span = TOP + WHOLE_BODY_HEIGHT - hip_y - foot_w / 2
    thigh, shin, foot = span * 0.47, span * 0.43, span * 0.1
    for direction, name in zip((-1, 1), names):
        hip = (cx + direction * hw / 2, hip_y)
        knee = (hip[0] + direction * thigh * math.sin(angle), hip[1] + thigh * math.cos(angle))
        ankle = (knee[0] + direction * shin * math.sin(angle * 0.3), knee[1] + shin * math.cos(angle * 0.3))
        tip = (ankle[0] + direction * foot * 0.5, ankle[1] + foot)
        limb = Limb((hip, knee, ankle, tip), (hw, widths[1], widths[2], foot_w))
        b.part(limb.whole())
        joint = widths[1] * 0.5
        if side == "front":
            labels = (f"{name} thigh (front)", f"{name} knee", f"{name} shin", f"top of {name} foot")
        else:
            labels = (f"back of {name} thigh", f"back of {name} knee", f"{name} calf", f"{name} heel")
        b.add(labels[0], limb.section(0, thigh - joint))
        b.add(labels[1], limb.section(thigh - joint, thigh + joint))
        b.add(labels[2], limb.section(thigh + joint, thigh + shin))
        b.add(labels[3], limb.section(thigh + shin, limb.length))


def head_view(figure):
    """The face (as if facing the child) above the back of the head (as if behind), enlarged."""
    b = Builder()
    width, height, cx = 150, 180, 120
    face_top, back_top = 40, 350
    ears(b, cx, face_top, width, height, ("right ear", "left ear"))
    neck = b.part(((cx - 36, face_top + height * 0.8), (cx + 36, face_top + height * 0.8),
                   (cx + 42, face_top + 250), (cx - 42, face_top + 250)))
    b.add("neck (front)", neck, ten4="neck")
    face_regions(b, cx, face_top, width, height, detailed=True)
    ears(b, cx, back_top, width, height, ("behind left ear", "behind right ear"))
    nape = b.part(((cx - 36, back_top + height * 0.8), (cx + 36, back_top + height * 0.8),
                   (cx + 42, back_top + 250), (cx - 42, back_top + 250)))
    b.add("back of neck", nape, ten4="neck")
    back = b.part(ellipse(cx, back_top + height / 2, width / 2, height / 2, 48))
    b.add("crown of head", clip_box(back, y1=back_top + 0.3 * height))
    b.add("back of head (left side)", clip_box(back, y0=back_top + 0.3 * height, x1=cx))
    b.add("back of head (right side)", clip_box(back, y0=back_top + 0.3 * height, x0=cx))
    details = face_details(cx, face_top, width, height) + ["M8 305 L232 305"]
    texts = ((cx, 24, "Face", "middle"), (cx, 334, "Back of head", "middle"),
             (6, 280, "Right", "start"), (234, 280, "Left", "end"),
             (6, 590, "Left", "start"), (234, 590, "Right", "end"))
    return View(figure, "head", 240, 610, tuple(b.regions), tuple(b.outline), tuple(details), texts)


# Four panels per enlarged view: (centre x, top y). Top row as if facing the child, bottom row as if behind.
PANELS = ((100, 0), (300, 0), (100, 250), (300, 250))
DIVIDERS = ("M200 8 L200 492", "M8 250 L392 250")
PANEL_SCALE = 1.45


def hands_view(figure):
    """Palms (as if facing the child) above, backs of the hands (as if behind) below."""
    b = Builder()
    texts = []
    scale = PANEL_SCALE
    # (panel, which hand, palm or back, thumb towards the viewer's left (-1) or right (+1))
    for (px, top), hand, surface, thumb in zip(PANELS, ("right", "left", "left", "right"),
                                                ("palm", "palm", "back", "back"), (-1, 1, -1, 1)):
        py = top + 42 + 47 * scale
        at = lambda dx, dy: (px + dx * scale, py + dy * scale)  # noqa: E731
        palm = b.part(tuple(at(x, y) for x, y in _rounded_box(0, 36, 62, 60, 14)))
        wrist = b.part((at(-22, 62), at(22, 62), at(20, 92), at(-20, 92)))
        fingers = []
        # Index, middle, ring and little finger, from the thumb's side.
        for offset, length in zip((24, 8, -8, -24), (46, 52, 48, 38)):
            x = thumb * offset
            fingers.append(b.part(Limb((at(x, 14), at(x, 12 - length)), (14 * scale, 12 * scale)).whole()))
        thumb_limb = Limb((at(thumb * 24, 58), at(thumb * 40, 32), at(thumb * 50, 10)),
                          (18 * scale, 16 * scale, 14 * scale))
        b.part(thumb_limb.whole())
        if surface == "palm":
            b.add(f"{hand} wrist (palm side)", wrist)
            b.add(f"{hand} palm", palm)
            b.add(f"{hand} thumb (palm side)", thumb_limb.whole())
            b.add(f"{hand} fingers (palm side)", *fingers)
            texts.append((px, top + 24, f"{hand.capitalize()} palm", "middle"))
        else:
            b.add(f"{hand} wrist (back)", wrist)
            b.add(f"back of {hand} hand", palm)
            b.add(f"{hand} thumb (back)", thumb_limb.whole())
            b.add(f"{hand} fingers (back)", *fingers)
            texts.append((px, top + 24, f"Back of {hand} hand", "middle"))
    return View(figure, "hands", 400, 500, tuple(b.regions), tuple(b.outline), DIVIDERS, tuple(texts))


def feet_view(figure):
    """Tops of the feet (as if facing the child) above, soles (as if behind) below."""
    b = Builder()
    texts = []
    scale = PANEL_SCALE
    # (panel, which foot, top or sole, big toe towards the viewer's left (-1) or right (+1))
    for (px, top), foot, surface, medial in zip(PANELS, ("right", "left", "left", "right"),
                                                 ("top", "top", "sole", "sole"), (1, -1, 1, -1)):
        py = top + 40 + 56 * scale
        at = lambda dx, dy: (px + dx * scale, py + dy * scale)  # noqa: E731
        outline = []
        for k in range(56):
            t = 2 * math.pi * k / 56
            half_width = (25 + 5 * math.cos(t)) * math.copysign(abs(math.sin(t)) ** 0.75, math.sin(t))
            outline.append(at(medial * 3 * math.cos(t) + half_width, 20 - 64 * math.copysign(abs(math.cos(t)) ** 0.9, math.cos(t))))
        sole = b.part(tuple(outline))
        toes = [b.part(tuple(at(x, y) for x, y in ellipse(medial * dx, dy, r, r * 1.15, 20)))
                for dx, dy, r in ((15, -44, 9.5), (1, -48, 6.5), (-10, -46, 6), (-19, -42, 5.5), (-26, -36, 5))]
        heel_line = py + (20 + 0.5 * 64) * scale
        if surface == "top":
            b.add(f"top of {foot} foot", sole)
            b.add(f"{foot} ankle (front)", clip_box(sole, y0=py + (20 + 0.62 * 64) * scale))
            b.add(f"{foot} toes (top)", *toes)
            texts.append((px, top + 24, f"Top of {foot} foot", "middle"))
        else:
            b.add(f"sole of {foot} foot", sole)
            b.add(f"{foot} heel (underneath)", clip_box(sole, y0=heel_line))
            b.add(f"{foot} toes (underneath)", *toes)
            texts.append((px, top + 24, f"Sole of {foot} foot", "middle"))
    return View(figure, "feet", 400, 500, tuple(b.regions), tuple(b.outline), DIVIDERS, tuple(texts))


def _rounded_box(cx, cy, width, height, radius):
    corners = ((cx + width / 2 - radius, cy - height / 2 + radius, -90), (cx + width / 2 - radius, cy + height / 2 - radius, 0),
               (cx - width / 2 + radius, cy + height / 2 - radius, 90), (cx - width / 2 + radius, cy - height / 2 + radius, 180))
    points = []
    for x, y, start in corners:
        for k in range(7):
            angle = math.radians(start + 15 * k)
            points.append((x + radius * math.cos(angle), y + radius * math.sin(angle)))
    return tuple(points)


@lru_cache(maxsize=None)
def view(figure, key):
    """The drawing and regions of one view of one figure."""
    if figure not in FIGURES or key not in VIEWS:
        raise KeyError(f"No body-map view {figure}/{key}")
    if key in ("front", "back"):
        return whole_body(figure, key)
    return {"head": head_view, "hands": hands_view, "feet": feet_view}[key](figure)


def views(figure):
    return [view(figure, key) for key in VIEWS]


def region_choices(figure):
    """[(view label, [(value "view/region", region label), ...]), ...] for the list of regions."""
    return [(v.label, [(f"{v.key}/{r.key}", r.label) for r in sorted(v.regions, key=lambda r: r.label)])
            for v in views(figure)]


def parse_region(value):
    """'front/left_cheek' -> ('front', 'left_cheek'), or (None, None)."""
    view_key, _, region_key = (value or "").partition("/")
    return (view_key, region_key) if view_key in VIEWS and region_key else (None, None)


def figure_for_age(months, settings):
    """The figure for a child of this age in months (the practitioner can choose another)."""
    ages = settings["bodymap_figure_from_months"]
    if months >= ages["young_person"]:
        return "young_person"
    if months >= ages["child"]:
        return "child"
    if months >= ages["toddler"]:
        return "toddler"
    return "baby"


def place_on(figure, view_key, region_key, x, y, from_figure):
    """Where a mark recorded on one figure falls on another: the same spot within the same region."""
    if figure == from_figure:
        return x, y
    source = view(from_figure, view_key).region(region_key)
    target = view(figure, view_key).region(region_key)
    if source is None or target is None:
        return x, y
    sx0, sy0, sx1, sy1 = source.box
    tx0, ty0, tx1, ty1 = target.box
    u = 0.5 if sx1 == sx0 else (x - sx0) / (sx1 - sx0)
    v = 0.5 if sy1 == sy0 else (y - sy0) / (sy1 - sy0)
    placed = (tx0 + u * (tx1 - tx0), ty0 + v * (ty1 - ty0))
    return placed if target.contains(*placed) else target.centre
