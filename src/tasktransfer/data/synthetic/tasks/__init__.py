"""One module per synthetic task; importing this package registers every generator."""

from tasktransfer.data.synthetic.tasks import (  # noqa: F401
    counting,
    relative_depth,
)
