"""One module per synthetic task; importing this package registers every generator."""

from tasktransfer.data.synthetic.tasks import (  # noqa: F401
    art_style,
    counting,
    forensic_detection,
    functional_correspondence,
    jigsaw,
    multiview_reasoning,
    object_localization,
    relative_depth,
    relative_reflectance,
    semantic_correspondence,
    spatial_relation,
    visual_correspondence,
    visual_similarity,
)
