"""One way to run long work on a page: a status box with a progress bar, and one error on failure.

The error is shown below the (collapsed) status box, not inside it, so it stays visible; the page
goes on running whatever happens.
"""
from __future__ import annotations

from typing import Callable, TypeVar

import streamlit as st

T = TypeVar("T")
Progress = Callable[[float, str], None]  # progress(fraction in [0, 1], message)
WORK_ERRORS = (ValueError, OSError, RuntimeError)  # bad input or data, a missing file, a failing model


def run_with_progress(label: str, work: Callable[[Progress], T], *, done: str, failed: str, error_prefix: str,
                      errors: tuple[type[BaseException], ...] = WORK_ERRORS) -> tuple[bool, T | None]:
    """(True, work(progress)) or, when ``work`` raises one of ``errors``, (False, None) after one st.error."""
    failure = None
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0)

        def progress(fraction: float, message: str = "") -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=message or None)

        try:
            result = work(progress)
        except errors as error:
            failure = error
            status.update(label=failed, state="error", expanded=False)
        else:
            status.update(label=done, state="complete", expanded=False)
    if failure is not None:
        st.error(f"{error_prefix}: {failure}", icon=":material/error:")
        return False, None
    return True, result


def run_and_keep(label: str, request: tuple, work: Callable[[Progress], object], *, results_key: str, shown_key: str,
                 kept: int, done: str, failed: str, error_prefix: str) -> None:
    """Run ``work`` for ``request`` with :func:`run_with_progress` and show its result.

    The session keeps the ``kept`` newest results under ``results_key`` (a dict request -> result)
    and ``shown_key`` names the one shown; a failure shows one error and no result.
    """
    results = st.session_state.setdefault(results_key, {})
    ok, result = run_with_progress(label, work, done=done, failed=failed, error_prefix=error_prefix)
    if not ok:
        st.session_state[shown_key] = None
        return
    results.pop(request, None)
    results[request] = result  # newest last
    while len(results) > kept:
        results.pop(next(iter(results)))
    st.session_state[shown_key] = request
