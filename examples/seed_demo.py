"""`make demo`: the seed tutorials, run unchanged on tapeflow.

Prints what each cell prints, then every gradient the cell computed (TF's formatting), and saves
the course notebook's last example (tanh and its gradient over linspace(-10, 10, 129)) as a PNG.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examples import notebook

OUTPUT = Path(__file__).resolve().parents[1] / "demo_output" / "tanh_gradient.png"
_GRADIENT_NAME = re.compile(r"^(d\w*_d\w+|grad\w*|dw)$")


def main() -> None:
    import tapeflow as tf

    for seed in notebook.SEEDS:
        print(f"\n=== {seed} " + "=" * (60 - len(seed)))
        namespace: dict = {"__name__": "__seed__"}
        notebook._allow_old_style_names()
        for number, source in enumerate(notebook.cells(seed), 1):
            before = dict(namespace)
            print(f"--- cell {number}")
            try:
                notebook.run_cell(notebook._prepare(source, "tapeflow"), namespace)
            except Exception as e:
                print(f"[cell raised {type(e).__name__}: {e}]")
            for name, value in namespace.items():
                if _GRADIENT_NAME.match(name) and value is not before.get(name):
                    if isinstance(value, (tf.Tensor, list)) or value is None:
                        print(f"{name} = {value}")
        if seed == "tf_basics_autodiff_notebook":
            import matplotlib.pyplot as plt

            OUTPUT.parent.mkdir(exist_ok=True)
            plt.gcf().savefig(OUTPUT, dpi=100)
            print(f"\nSaved the tanh / gradient plot to {OUTPUT}")


if __name__ == "__main__":
    main()
