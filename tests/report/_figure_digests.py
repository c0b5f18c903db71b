"""SHA-256 of the figures of an analysis: every file of ``figures/`` and every SVG drawing
embedded in ``report.html`` (in page order), as compared by ``test_figure_bytes.py``.

Run as ``python -m tests.report._figure_digests OUT`` on the output folder of the shared
analysed example (``tests/report/_pipeline.py``) to print the table committed as
``tests/report/data/figure_digests.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def figure_digests(out: Path) -> dict[str, str]:
    """File or drawing name -> SHA-256 of its bytes (UTF-8 for the embedded drawings)."""
    got = {f"figures/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
           for p in sorted((out / "figures").iterdir())}
    page = (out / "report.html").read_text(encoding="utf-8")
    for k, svg in enumerate(_SVG.findall(page)):
        got[f"report.html svg {k + 1}"] = hashlib.sha256(svg.encode("utf-8")).hexdigest()
    return got


if __name__ == "__main__":
    print(json.dumps(figure_digests(Path(sys.argv[1])), indent=1, sort_keys=True))
