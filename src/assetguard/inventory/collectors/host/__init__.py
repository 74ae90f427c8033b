"""The ``host`` collector: this Linux machine, or an offline root directory (``--root``)."""
