"""Drop-in replacements for other synthesizers' APIs, on tabgan.

``from tabgan.compat import CTGAN`` in place of ``from ctgan import CTGAN``: the ctgan
package's constructor arguments, ``fit(data, discrete_columns)``, ``sample(n,
condition_column=..., condition_value=...)``, ``set_random_state``, and ``save`` / ``load``
of tabgan's safe model files. See ``docs/compat.md``.
"""

from tabgan.compat.ctgan import CTGAN

__all__ = ["CTGAN"]
