"""The study report as PDF: the self-contained HTML printed by headless Chromium.

Chromium's print-to-PDF honours the report's print style sheet (``@page`` sizes, named landscape
pages for wide tables, repeated table headers, page margin boxes with the study, data cut-off
and "Page x of y"), which WeasyPrint would need its own subset of CSS and fonts for; Chromium is
also the browser the report's tests already drive, so what is tested on screen is what prints.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from cartrial.errors import InputError

CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-pdf-header-footer", "--hide-scrollbars")
TIMEOUT_S = 600  # generous: a loaded machine may print a large report slowly


def find_chromium() -> str:
    """Path of the Chromium executable (``chromium`` or ``chromium-browser`` on PATH).

    Returns
    -------
    str
        The executable's path.

    Raises
    ------
    InputError
        When no Chromium is installed, with the command that installs it on Debian.

    Examples
    --------
    >>> isinstance(find_chromium(), str)  # doctest: +SKIP
    True
    """
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise InputError("--pdf needs Chromium (headless print-to-PDF), which is not installed; "
                     "on Debian: apt-get install -y chromium")


def html_to_pdf(html: str | Path, pdf: str | Path, *, chromium: str | None = None) -> Path:
    """Print an HTML file to PDF with headless Chromium (its print style sheet applies).

    Parameters
    ----------
    html : str or Path
        The HTML file (self-contained: no network is used).
    pdf : str or Path
        The PDF to write.
    chromium : str, optional
        Chromium executable; default :func:`find_chromium`.

    Returns
    -------
    Path
        ``pdf``.

    Raises
    ------
    InputError
        When Chromium is missing, fails or writes no PDF.

    References
    ----------
    Chromium command-line switches ``--headless`` and ``--print-to-pdf``
    (https://developer.chrome.com/docs/chromium/headless).

    Examples
    --------
    >>> html_to_pdf("build/demo/report.html", "build/demo/report.pdf")  # doctest: +SKIP
    PosixPath('build/demo/report.pdf')
    """
    exe = chromium or find_chromium()
    src, out = Path(html).resolve(), Path(pdf).resolve()
    if not src.is_file():
        raise InputError(f"no report to print: {src} does not exist")
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="cartrial-chromium-") as profile:
        cmd = [exe, *CHROMIUM_ARGS, f"--user-data-dir={profile}", f"--print-to-pdf={out}",
               src.as_uri()]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S,
                                 check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise InputError(f"Chromium could not print {src} to PDF: {exc}") from None
    if run.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        tail = (run.stderr or "").strip().splitlines()[-3:]
        raise InputError(f"Chromium could not print {src} to PDF (exit {run.returncode}): "
                         + " / ".join(tail))
    return out
