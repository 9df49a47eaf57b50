"""The latent visual skills the synthetic tasks are built from, and the skill matrix.

Each generator, image or video, declares the skills a solver needs
(``@register(..., skills=...)``), so that image-to-video transfer has a stated expectation. Two
tasks that share skills should transfer to each other; tasks with disjoint skills should
not. :func:`skill_matrix` is that expected structure, for comparison with a measured
transfer matrix (``docs/synthetic-suite.md`` explains each entry).
"""

from __future__ import annotations

import numpy as np

SKILLS: dict[str, str] = {
    "marker_reading": "read the lettered red circles and boxes drawn on an image",
    "point_matching": "find the same scene point in a second, transformed view",
    "part_semantics": "name an object's parts (head, tail, grip, working end) across instances",
    "depth_ordering": "order surfaces by distance to the camera (ground contact, size, occlusion)",
    "shading": "separate a surface's own colour from the light falling on it",
    "texture_statistics": "compare colour and texture statistics of whole images",
    "object_counting": "count the instances of a named object",
    "spatial_layout": "relative positions of objects (left, right, above, below)",
    "shape_identity": "recognise the shape and colour category of an object",
    "boundary_continuity": "continue edges and regions across a cut",
    "object_extent": "find the exact extent (tight box) of an object",
    # The video tasks' own skills; the image tasks need none of them.
    "temporal_integration": "put together what several frames show (one object seen twice "
    "is one object; an object out of view is still there)",
    "temporal_order": "order what happens in a video by time (which object comes into view first)",
    "ego_motion": "follow how the camera moved or turned between frames",
}


def skill_matrix(tasks=None) -> tuple[list[str], list[str], np.ndarray]:
    """The tasks x skills incidence matrix of the registered generators.

    Parameters
    ----------
    tasks : sequence of str or None
        Task names in the order wanted, image or video tasks (default: every generator,
        the image suite then the video suite, each in registration order).

    Returns
    -------
    tasks : list of str
    skills : list of str
        In the order of :data:`SKILLS`.
    matrix : ndarray of shape (n_tasks, n_skills)
        1 where the task needs the skill, else 0.

    Examples
    --------
    >>> names, skills, m = skill_matrix(["Counting"])
    >>> [s for s, v in zip(skills, m[0]) if v]
    ['object_counting', 'shape_identity']
    """
    from tasktransfer.data.synthetic import TASKS, VIDEO_TASKS

    suite = {**TASKS, **VIDEO_TASKS}
    names = list(suite) if tasks is None else list(tasks)
    skills = list(SKILLS)
    matrix = np.zeros((len(names), len(skills)), dtype=int)
    for i, name in enumerate(names):
        for skill in suite[name].skills:
            matrix[i, skills.index(skill)] = 1
    return names, skills, matrix


def expected_transfer(tasks=None) -> tuple[list[str], np.ndarray]:
    """Skill overlap between tasks: the Jaccard index of their skill sets.

    Returns
    -------
    tasks : list of str
    overlap : ndarray of shape (n_tasks, n_tasks)
        ``|S_i & S_j| / |S_i | S_j|``; 1 on the diagonal, 0 for tasks sharing no skill.
    """
    names, _, m = skill_matrix(tasks)
    inter = m @ m.T
    sizes = m.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - inter
    return names, inter / np.maximum(union, 1)
