"""Independent oracles: each derives the answer from the pixels (or the latent scene) by a
computation of its own, never by calling the generator's answer code, and must agree with
the stored answer on every one of 200 generated examples per task."""

import math

import numpy as np
import pytest
from scipy import ndimage

from tasktransfer.data.synthetic import generate
from tasktransfer.data.synthetic.draw import COLOURS
from tasktransfer.data.synthetic.tasks.relative_reflectance import ALBEDOS, TINT
from tasktransfer.data.synthetic.tasks.semantic_correspondence import keypoints

N = 200


def px(image):
    return np.asarray(image).astype(int)


def mask_of(image, rgb):
    return (px(image) == rgb).all(-1)


def nearest(point, candidates):
    d = [math.dist(point, c) for c in candidates]
    return int(np.argmin(d))


def art_style(e):
    sets = [frozenset(map(tuple, px(im).reshape(-1, 3))) for im in e.images]
    return [i for i in (1, 2) if sets[i] == sets[0]] == [e.letters.index(e.answer_letter) + 1]


def counting(e):
    colour, kind = e.meta["target"]
    labels, n = ndimage.label(mask_of(e.images[0], COLOURS[colour]))
    count = 0
    for sl, i in zip(ndimage.find_objects(labels), range(1, n + 1), strict=True):
        fill = (labels[sl] == i).mean()
        shape = "square" if fill > 0.93 else "circle" if fill > 0.66 else "triangle"
        count += shape == kind
    return e.choices[e.letters.index(e.answer_letter)] == str(count)


def forensic(e):
    # A real photo's backdrop brightens by a fixed step every row, without noise or plateaus.
    real = [bool((np.diff(px(im)[:, 0], axis=0) > 0).all()) for im in e.images]
    return real.count(True) == 1 and real.index(True) == e.letters.index(e.answer_letter)


def _axis_coordinates(tool, point):
    """(u, perpendicular distance) of a point along a tool's axis; u in [0, 2] on the tool."""
    a = math.radians(tool["angle"])
    dx, dy = point[0] - tool["x"], point[1] - tool["y"]
    along = (dx * math.cos(a) + dy * math.sin(a)) / (tool["length"] / 2)
    return along, abs(-dx * math.sin(a) + dy * math.cos(a))


def functional(e):
    first, second = e.meta["tools"]
    u_ref, _ = _axis_coordinates(first, e.meta["reference"])
    on_handle = u_ref < 1
    matches = []
    for i, c in enumerate(e.meta["candidates"]):
        u, off = _axis_coordinates(second, c)
        if off <= 1.5 and 0 <= u <= 2 and (u < 1) == on_handle:
            matches.append(i)
    return matches == [e.letters.index(e.answer_letter)]


def jigsaw(e):
    whole, *candidates = (px(im) for im in e.images)
    half = whole.shape[0] // 2
    above, left = whole[half - 1, half:], whole[half:, half - 1]
    mismatch = [(c[0] != above).any(-1).sum() + (c[:, 0] != left).any(-1).sum() for c in candidates]
    return int(np.argmin(mismatch)) == e.letters.index(e.answer_letter)


def multiview(e):
    first, second = (px(im) for im in e.images)
    shifts, heights = [], []
    for colour in {tuple(p[2]) if isinstance(p[2], list) else p[2] for p in e.meta["pillars"]}:
        rgb = COLOURS[colour]
        (y1, x1), (_, x2) = (np.nonzero((im == rgb).all(-1)) for im in (first, second))
        shifts.append(x2.mean() - x1.mean())
        heights.append(y1.max() - y1.min())
    near, far = int(np.argmax(heights)), int(np.argmin(heights))
    # Orbiting left slides the near pillar right relative to the far one.
    moved_left = shifts[near] - shifts[far] > 0
    return e.choices[e.letters.index(e.answer_letter)] == ("left" if moved_left else "right")


def _iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0]) + 1
    h = min(a[3], b[3]) - max(a[1], b[1]) + 1
    inter = max(0, w) * max(0, h)
    area = [(x[2] - x[0] + 1) * (x[3] - x[1] + 1) for x in (a, b)]
    return inter / (sum(area) - inter)


def localization(e):
    colour, _ = e.meta["target"]
    ys, xs = np.nonzero(mask_of(e.images[0], COLOURS[colour]))
    # The object's extent from its pixels, widened by the tight box's one-pixel margin.
    extent = (xs.min() - 1, ys.min() - 1, xs.max() + 1, ys.max() + 1)
    scores = [_iou(extent, b) for b in e.meta["boxes"]]
    return int(np.argmax(scores)) == e.letters.index(e.answer_letter)


def depth(e):
    pixels = px(e.images[0])
    bottoms = []
    for x, y in e.meta["points"]:
        colour = tuple(pixels[y, x])
        i = [COLOURS[c] for c in e.meta["colours"]].index(colour)
        bottoms.append(e.meta["pillars"][i][3])  # ground contact row: lower is closer
    closer = "A" if bottoms[0] > bottoms[1] else "B"
    return bottoms[0] != bottoms[1] and closer == e.answer_letter


def reflectance(e):
    pixels = px(e.images[0])
    size = pixels.shape[0]
    p = e.meta["light"]
    albedo = []
    for x, y in e.meta["points"]:
        u, v = x / (size - 1), y / (size - 1)
        lit = 1 - p["falloff"] * (p["gx"] * u + p["gy"] * v)
        if p.get("shadow") and p["shadow"][0] <= u <= p["shadow"][1]:
            lit *= 0.55
        albedo.append(pixels[y, x, 0] / (255 * TINT[0] * lit))
    gap = min(abs(a - b) for a in ALBEDOS for b in ALBEDOS if a != b) / 2
    if abs(albedo[0] - albedo[1]) < gap:
        expected = "About the same"
    else:
        expected = "A is darker" if albedo[0] < albedo[1] else "B is darker"
    return e.choices[e.letters.index(e.answer_letter)] == expected


def semantic(e):
    first, second = e.meta["animals"]
    parts1, parts2 = keypoints(first), keypoints(second)
    part = list(parts1)[nearest(e.meta["reference"], list(parts1.values()))]
    return nearest(parts2[part], e.meta["candidates"]) == e.letters.index(e.answer_letter)


def spatial(e):
    centroids = []
    for colour, _, _ in e.meta["objects"]:
        ys, xs = np.nonzero(mask_of(e.images[0], COLOURS[colour]))
        centroids.append((xs.mean(), ys.mean()))
    (ax, ay), (bx, by) = centroids
    relation = e.meta["relation"]
    holds = {
        "to the left of": ax < bx,
        "to the right of": ax > bx,
        "above": ay < by,
        "below": ay > by,
    }[relation]
    return e.choices[e.letters.index(e.answer_letter)] == ("yes" if holds else "no")


def correspondence(e):
    size = e.images[0].width
    c, zoom, (sx, sy) = (size - 1) / 2, e.meta["zoom"], e.meta["shift"]
    x, y = e.meta["reference"]
    seen = (zoom * (x - c) + c + sx, zoom * (y - c) + c + sy)
    return nearest(seen, e.meta["candidates"]) == e.letters.index(e.answer_letter)


def similarity(e):
    def histogram(image):
        colours, counts = np.unique(px(image).reshape(-1, 3), axis=0, return_counts=True)
        return dict(zip(map(tuple, colours), counts, strict=True))

    ref = histogram(e.images[0])
    distance = []
    for image in e.images[1:]:
        h = histogram(image)
        distance.append(sum(abs(ref.get(k, 0) - h.get(k, 0)) for k in set(ref) | set(h)))
    return int(np.argmin(distance)) == e.letters.index(e.answer_letter)


ORACLES = {
    "Art_Style": art_style,
    "Counting": counting,
    "Forensic_Detection": forensic,
    "Functional_Correspondence": functional,
    "Jigsaw": jigsaw,
    "Multi-view_Reasoning": multiview,
    "Object_Localization": localization,
    "Relative_Depth": depth,
    "Relative_Reflectance": reflectance,
    "Semantic_Correspondence": semantic,
    "Spatial_Relation": spatial,
    "Visual_Correspondence": correspondence,
    "Visual_Similarity": similarity,
}


def test_every_task_has_an_oracle():
    from tasktransfer.data.synthetic import TASKS

    assert set(ORACLES) == set(TASKS)


@pytest.mark.parametrize("task", sorted(ORACLES))
def test_oracle_agrees_with_every_answer(task):
    wrong = [e.idx for e in generate(task, "val", N) if not ORACLES[task](e)]
    assert wrong == []


@pytest.mark.parametrize("task", sorted(ORACLES))
@pytest.mark.parametrize("difficulty", [0.0, 1.0])
def test_oracle_agrees_at_both_ends_of_the_difficulty_knob(task, difficulty):
    examples = generate(task, "train", 40, difficulty=difficulty)
    assert [e.idx for e in examples if not ORACLES[task](e)] == []
