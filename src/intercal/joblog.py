"""Logging for workflow jobs: messages and any uncaught error go to the job's log file.

Snakemake shows a failing script's traceback on its own console, but the job's
log file stayed empty, so a user reading ``results/logs/...`` saw nothing.
:func:`job_log` configures logging to that file and records an uncaught
exception there (its message first, then the traceback) before Python prints
it as usual.
"""

from __future__ import annotations

import logging
import os
import sys
from types import TracebackType


def job_log(path: str | os.PathLike, *, filemode: str = "a", level: int = logging.INFO) -> None:
    """Log to ``path`` and record an uncaught exception there before the job exits.

    Parameters
    ----------
    path : path-like
        The job's log file (``snakemake.log[0]``).
    filemode : str
        ``"a"`` (append) or ``"w"`` (start the file afresh).
    level : int
        Logging level.
    """
    logging.basicConfig(filename=os.fspath(path), level=level, filemode=filemode)
    # matplotlib's PDF font subsetting logs every glyph list at INFO (hundreds of lines
    # per figure, and their formatting costs time): only its warnings reach the log
    logging.getLogger("fontTools").setLevel(max(level, logging.WARNING))
    previous = sys.excepthook

    def _hook(kind: type[BaseException], err: BaseException, tb: TracebackType | None) -> None:
        logging.getLogger("intercal.job").error(
            "job failed: %s: %s", kind.__name__, err, exc_info=(kind, err, tb)
        )
        logging.shutdown()
        previous(kind, err, tb)

    sys.excepthook = _hook
