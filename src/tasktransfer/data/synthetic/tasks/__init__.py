"""One module per synthetic task; importing this package registers every generator.

Each module registers its generator with ``@register("<task name>", ...)``. The modules are
found, not listed: every module of this package is imported, in the order of their names,
which is the order of :data:`~tasktransfer.data.synthetic.TASKS`.
"""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
