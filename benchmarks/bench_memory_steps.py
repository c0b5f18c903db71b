"""Peak resident memory of each step of ``cartrial analyze`` (issue #18: memory), one process.

Each listed function (the loader's steps, validation, the engines, each ADaM dataset, the
releases of the study, the sections and the writers) is wrapped: on entry VmHWM is reset to
the current VmRSS (writing 5 to /proc/self/clear_refs, Linux >= 4.0), on exit the step's peak
is read (nested steps hand their peaks up). A line is printed on stderr for each call whose
peak or end lies ``--min`` MiB or more above its start: resident MiB at entry -> at exit, peak,
(peak - entry). Forked helpers are switched off so every step runs in this process.

Usage: .venv/bin/python benchmarks/bench_memory_steps.py --data /tmp/study-3k --out /tmp/out
(PYTHONPATH=<other checkout>/src to measure another revision the same way; steps missing from
it are skipped).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import shutil
import sys
from datetime import datetime
from pathlib import Path

STEPS = {
    "cartrial.data.load": ["load_study", "_load_file", "_read_file", "prepare_domain",
                           "_type_columns", "normalise_text", "result_findings",
                           "standardize_results"],
    # the engine steps run here (pipeline.HERE) are called by the names pipeline imported:
    # wrapped there too (a step runs by one of the two, never both)
    "cartrial.report.pipeline": ["read_ahead", "_validate", "_engines", "safety_step",
                                 "efficacy_step", "keep_after_adam", "build_sections"],
    # the engines' inner steps (issue #18, ENGMEM: where the engines' stage peaks)
    "cartrial.report.engine_steps": ["safety_step", "efficacy_step", "history_step"],
    "cartrial.safety.sdtm": ["safety_inputs", "crs_observations", "icans_assessments",
                             "lab_records", "weight_records"],
    "cartrial.safety.analysis": ["analyse_safety", "_lab_results"],
    "cartrial.kinetics.analysis": ["analyse_kinetics"],
    "cartrial.adam.build": ["build_adam", "derive_adsl", "_adae", "adlb_batched", "derive_adex",
                            "derive_adrs", "derive_adtte", "derive_adpc", "derive_adpp",
                            "derive_adcyt", "derive_adab", "derive_var_iecscrfl",
                            "derive_adsynd", "derive_adhtox", "_release"],
    "cartrial.report.outputs": ["write_outputs", "render_document", "write_document",
                                "_write_items", "write_ars", "_figure_files"],
    "cartrial.report.staged_adam": ["write_adam"],
    "cartrial.efficacy.sdtm": ["mrd_from_sdtm"],
    "cartrial.report.section_build": ["_trial_safety", "_efficacy", "_kinetics", "_listings"],
    "cartrial.report.safety_adam": ["adam_safety_tables"],
    "cartrial.report.section_items": ["safety_items", "efficacy_tables", "efficacy_items"],
    "cartrial.report.csr": ["csr_summary_items"],
    "cartrial.report.kinetics_items": ["kinetics_table_items"],
    "cartrial.report.kinetics_adam": ["kinetics_tables"],
    "cartrial.report.fig_items": ["crs_icans_item", "efficacy_figures", "kinetics_item"],
    "cartrial.report.listings": ["listing_items"],
}


def _status() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line[:5]] = int(line.split()[1]) // 1024
    return out


_STACK: list[dict] = [{"peak": 0}]


def _wrap(mod, name: str, least: int) -> None:
    fn = getattr(mod, name, None)
    if fn is None:
        return
    label = f"{mod.__name__.rsplit('.', 1)[-1]}.{name}"

    @functools.wraps(fn)
    def step(*args, **kwargs):
        _STACK[-1]["peak"] = max(_STACK[-1]["peak"], _status()["VmHWM"])
        Path("/proc/self/clear_refs").write_text("5")
        start = _status()["VmRSS"]
        frame = {"peak": start}
        _STACK.append(frame)
        try:
            return fn(*args, **kwargs)
        finally:
            _STACK.pop()
            now = _status()
            peak = max(frame["peak"], now["VmHWM"])
            _STACK[-1]["peak"] = max(_STACK[-1]["peak"], peak)
            if max(peak, now["VmRSS"]) - start >= least:
                print(f"{'  ' * (len(_STACK) - 1)}{label:34s} {start:5d} -> {now['VmRSS']:5d}"
                      f"  peak {peak:5d} (+{peak - start})", file=sys.stderr, flush=True)

    setattr(mod, name, step)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="SDTM folder")
    ap.add_argument("--out", required=True, help="output folder (emptied first)")
    ap.add_argument("--min", type=int, default=15, help="MiB above a step's start to print it")
    a = ap.parse_args()
    import cartrial.report.background as background
    import cartrial.report.staged_adam as staged

    background.can_fork = staged.can_fork = lambda: False
    for mod, names in STEPS.items():
        m = importlib.import_module(mod)
        for n in names:
            _wrap(m, n, a.min)
    from cartrial.report.pipeline import run_analysis

    shutil.rmtree(a.out, ignore_errors=True)
    run_analysis(a.data, "ct071", a.out, run_date=datetime(2026, 1, 1))
    peak = max(_STACK[0]["peak"], _status()["VmHWM"])
    print(f"run's peak {peak} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()
