"""Plane geometry for the body-map figures: polygons, clipping, limbs, and point tests.

A polygon is a tuple of (x, y) points. Nothing here knows about bodies.
"""
import math


def ellipse(cx, cy, rx, ry, points=40):
    """An ellipse as a polygon, starting at the top and going clockwise on screen."""
    return tuple((cx + rx * math.sin(2 * math.pi * k / points), cy - ry * math.cos(2 * math.pi * k / points))
                 for k in range(points))


def clip_half_plane(polygon, a, b, c):
    """The part of `polygon` where a*x + b*y + c >= 0 (Sutherland–Hodgman against one edge)."""
    if not polygon:
        return ()
    result = []
    previous = polygon[-1]
    previous_inside = a * previous[0] + b * previous[1] + c >= 0
    for point in polygon:
        inside = a * point[0] + b * point[1] + c >= 0
        if inside != previous_inside:
            result.append(_crossing(previous, point, a, b, c))
        if inside:
            result.append(point)
        previous, previous_inside = point, inside
    return tuple(result)


def _crossing(p, q, a, b, c):
    fp = a * p[0] + b * p[1] + c
    fq = a * q[0] + b * q[1] + c
    t = fp / (fp - fq)
    return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))


def clip_box(polygon, x0=-math.inf, y0=-math.inf, x1=math.inf, y1=math.inf):
    """The part of `polygon` inside the box x0 <= x <= x1, y0 <= y <= y1 (open sides allowed)."""
    if x0 != -math.inf:
        polygon = clip_half_plane(polygon, 1, 0, -x0)
    if x1 != math.inf:
        polygon = clip_half_plane(polygon, -1, 0, x1)
    if y0 != -math.inf:
        polygon = clip_half_plane(polygon, 0, 1, -y0)
    if y1 != math.inf:
        polygon = clip_half_plane(polygon, 0, -1, y1)
    return polygon


def area(polygon):
    """Signed area (shoelace formula)."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1]):
        total += x0 * y1 - x1 * y0
    return total / 2


def contains(polygon, x, y):
    """Whether (x, y) is inside the polygon (even–odd ray casting)."""
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def distance_to_edge(polygon, x, y):
    """Shortest distance from (x, y) to the polygon's outline."""
    best = math.inf
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1]):
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        t = 0 if length2 == 0 else max(0.0, min(1.0, ((x - x0) * dx + (y - y0) * dy) / length2))
        best = min(best, math.hypot(x - (x0 + t * dx), y - (y0 + t * dy)))
    return best


def interior_point(polygon):
    """A point well inside the polygon: the middle of the widest run across its centroid's height."""
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    candidates = []
    a = area(polygon)
    if abs(a) > 1e-9:
        cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1])) / (6 * a)
        cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1])) / (6 * a)
        if contains(polygon, cx, cy) and distance_to_edge(polygon, cx, cy) > 1:
            return (cx, cy)
        candidates.append(cy)
    top, bottom = min(ys), max(ys)
    candidates += [top + (bottom - top) * f for f in (0.5, 0.4, 0.6, 0.3, 0.7)]
    best = None
    for y in candidates:
        crossings = sorted(_row_crossings(polygon, y))
        for left, right in zip(crossings[::2], crossings[1::2]):
            if best is None or right - left > best[0]:
                best = (right - left, ((left + right) / 2, y))
    return best[1] if best else (sum(xs) / len(xs), sum(ys) / len(ys))


def _row_crossings(polygon, y):
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1]):
        if (y0 > y) != (y1 > y):
            yield x0 + (y - y0) * (x1 - x0) / (y1 - y0)


def bounds(polygons):
    xs = [x for polygon in polygons for x, _ in polygon]
    ys = [y for polygon in polygons for _, y in polygon]
    return min(xs), min(ys), max(xs), max(ys)


class Limb:
    """A limb or finger drawn along a line of joints, with a width at each joint.

    `section(start, end)` is the outline between two distances along the limb, so
    neighbouring sections share their edge exactly and together make the whole limb.
    The far end is rounded, and the near end too when `round_start` (a shoulder).
    """

    def __init__(self, joints, widths, round_start=False):
        self.joints = tuple(joints)
        self.widths = tuple(widths)
        self.round_start = round_start
        self.lengths = [0.0]
        for (x0, y0), (x1, y1) in zip(self.joints, self.joints[1:]):
            self.lengths.append(self.lengths[-1] + math.hypot(x1 - x0, y1 - y0))
        self.length = self.lengths[-1]

    def _segment(self, distance):
        for index in range(len(self.joints) - 1):
            if distance <= self.lengths[index + 1] or index == len(self.joints) - 2:
                return index
        return len(self.joints) - 2

    def _direction(self, index):
        (x0, y0), (x1, y1) = self.joints[index], self.joints[index + 1]
        length = math.hypot(x1 - x0, y1 - y0)
        return (x1 - x0) / length, (y1 - y0) / length

    def _frame(self, distance):
        """(point, unit normal, width) at a distance along the limb; normals are averaged at joints."""
        index = self._segment(distance)
        start, end = self.lengths[index], self.lengths[index + 1]
        t = 0 if end == start else (distance - start) / (end - start)
        (x0, y0), (x1, y1) = self.joints[index], self.joints[index + 1]
        point = (x0 + t * (x1 - x0), y0 + t * (y1 - y0))
        width = self.widths[index] + t * (self.widths[index + 1] - self.widths[index])
        dx, dy = self._direction(index)
        if abs(distance - start) < 1e-9 and index > 0:
            px, py = self._direction(index - 1)
            dx, dy = (dx + px) / 2, (dy + py) / 2
        elif abs(distance - end) < 1e-9 and index + 1 < len(self.joints) - 1:
            nx, ny = self._direction(index + 1)
            dx, dy = (dx + nx) / 2, (dy + ny) / 2
        norm = math.hypot(dx, dy)
        return point, (-dy / norm, dx / norm), width, (dx / norm, dy / norm)

    def section(self, start, end, round_end=None, steps=4):
        """The outline from `start` to `end` (distances along the limb); the far end of the limb is rounded."""
        start, end = max(0.0, start), min(self.length, end)
        stations = [start] + [d for d in self.lengths if start < d < end] + [end]
        stations = [start + (end - start) * k / steps for k in range(steps + 1)] if len(stations) == 2 else stations
        left, right = [], []
        for distance in sorted(set(stations)):
            (x, y), (nx, ny), width, _ = self._frame(distance)
            left.append((x + nx * width / 2, y + ny * width / 2))
            right.append((x - nx * width / 2, y - ny * width / 2))
        cap = []
        if round_end if round_end is not None else end >= self.length - 1e-9:
            (x, y), (nx, ny), width, (dx, dy) = self._frame(end)
            for k in range(1, 10):
                angle = math.pi * k / 10
                cap.append((x + (nx * math.cos(angle) + dx * math.sin(angle)) * width / 2,
                            y + (ny * math.cos(angle) + dy * math.sin(angle)) * width / 2))
        back = []
        if self.round_start and start <= 1e-9:
            (x, y), (nx, ny), width, (dx, dy) = self._frame(0)
            for k in range(1, 10):
                angle = math.pi * k / 10
                back.append((x + (-nx * math.cos(angle) - dx * math.sin(angle)) * width / 2,
                             y + (-ny * math.cos(angle) - dy * math.sin(angle)) * width / 2))
        return tuple(left + cap + right[::-1] + back)

    def whole(self):
        return self.section(0, self.length)
