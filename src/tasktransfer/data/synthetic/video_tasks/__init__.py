"""One module per synthetic video task; importing this package registers every generator.

Found as the image generators of :mod:`tasktransfer.data.synthetic.tasks` are: every module
of this package is imported, in the order of their names, which is the order of
:data:`~tasktransfer.data.synthetic.VIDEO_TASKS`. A separate package keeps the image suite's
order (and :data:`~tasktransfer.data.synthetic.TASKS`) as it was.
"""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
