"""House rule (CONTRIBUTING.md, issue #19 point 3): every public function and class of the API
(the names in each package's ``__all__``) has a numpydoc docstring with its sections:
Parameters (when it takes any), Returns (functions that return something), Examples.

``KNOWN`` lists the names still short of a section; it may only shrink (the test also fails when
a listed name has become complete, so the list is kept honest). A fact about the source text.
"""

from __future__ import annotations

import importlib
import inspect

PACKAGES = ("adam", "committee", "conduct", "data", "design", "efficacy", "example", "kinetics",
            "protocol", "report", "safety", "sweep")

KNOWN: set[str] = set(
    """
adam.AdamResult
adam.BatchedDataset
adam.DatasetProfile
adam.adam_csv_text
adam.build_adam
adam.data_cutoff
adam.define_html
adam.derive_adae
adam.derive_adlb
adam.derive_adlb_batches
adam.derive_adrs
adam.derive_adsl
adam.derive_adsl_base
adam.derive_adtte
adam.derive_param_cbor
adam.derive_param_invovr
adam.derive_param_mrd
adam.derive_param_nca
adam.derive_param_ovr
adam.derive_var_ablfl
adam.derive_var_aphdt
adam.derive_var_dtoxgr
adam.derive_var_lstalvdt
adam.derive_var_popcd
adam.derive_var_trtemfl
adam.derive_vars_aedt
adam.derive_vars_atoxgr
adam.derive_vars_atoxgr_lb
adam.derive_vars_dth
adam.derive_vars_eos
adam.derive_vars_lb_param
adam.derive_vars_popfl
adam.derive_vars_trt
adam.derived_ae_grades
adam.km_inputs
adam.variable_label
adam.variable_metadata
adam.write_adam
adam.write_adam_xpt
committee.AuditReport
committee.DecisionRecord
committee.Store
committee.User
committee.adjudication_frame
committee.dlt_calendar
committee.new_audit_key
committee.open_store
committee.record_decision
conduct.StudyDecision
conduct.cohorts
conduct.decisions_on
conduct.escalation_subjects
data.DataModel
data.DomainSpec
data.Study
data.TestSpec
data.ValidationReport
data.conversion_factor
data.convert
data.impute_date
data.parse_dtc
data.snapshot
data.standardize_results
data.study_day
data.subject_batches
data.to_csv_text
data.write_study
data.write_xpt
design.Boin
design.Boin12Oc
design.BoinBoundaries
design.Crm
design.CrmPosterior
design.Decision
design.DecisionTable
design.Design
design.I3plus3
design.MtdSelection
design.Mtpi2
design.Obd
design.OcResult
design.PendingPatient
design.RoseDesign
design.RoseSimulation
design.ThreePlusThree
design.TiteBoin
design.TiteCrm
design.TitePatient
design.TrialState
design.UboinOc
design.UboinSelection
design.boin_boundaries
design.boundary_table
design.crm_skeleton
design.decision_table
design.decision_table_csv
design.decision_table_json
design.decision_table_markdown
design.deescalate_min
design.design_from_spec
design.desirability_table
design.dose_paths
design.dose_paths_figure
design.elimination_count
design.elimination_flags
design.escalate_max
design.exact_oc
design.mtpi2_intervals
design.select_mtd
design.simulate_oc
design.spec_from_design
design.state_from_patients
design.utility_table
example.ExampleTrial
example.Scenario
example.get_scenario
example.scenario_table
example.simulate_trial
example.write_example
example.write_large_example
kinetics.ada_data
kinetics.cytokine_data
kinetics.infusions
kinetics.nca_long
kinetics.pc_profiles
protocol.DesignSpec
protocol.DltDefinition
protocol.DltRule
protocol.DoseLevel
protocol.DurationCondition
protocol.EndpointSettings
protocol.KineticsSettings
protocol.Protocol
protocol.RandomisedStageSpec
protocol.SafetySettings
protocol.Schedule
report.AnalysisSummary
report.Provenance
report.ReportFigure
report.ReportTable
report.RunningHeader
report.Section
report.build_sections
report.figure_bytes
report.figure_to_html
report.fmt_n_pct
report.fmt_num
report.render_document
report.run_analysis
report.table_from_wide
report.table_to_docx
report.table_to_html
report.table_to_rtf
report.table_to_text
safety.CrsCriteria
safety.CrsMethod
safety.CrsResult
safety.CtcaeLabCriteria
safety.DltResult
safety.HematotoxCriteria
safety.IcahtCriteria
safety.IcansCriteria
safety.IcansMethod
safety.IcansResult
safety.IecHsCriteria
safety.SafetyAnalysis
safety.SafetyInputs
safety.adjudicate_dlt
safety.adverse_events
safety.analyse_safety
safety.compare_reported_grades
safety.count_rows
safety.crs_events
safety.crs_observations
safety.crs_table
safety.cytopenia_recovery
safety.cytopenia_table
safety.deaths_table
safety.dlt_table
safety.followup
safety.grade_crs
safety.grade_crs_row
safety.grade_icans
safety.grade_labs
safety.hypogammaglobulinemia
safety.icans_assessments
safety.icans_table
safety.ice_score
safety.infusion_dates
safety.lab_events
safety.lab_grades_long
safety.lab_records
safety.label_episodes
safety.safety_inputs
safety.summarise_episodes
safety.summary_rows
safety.syndrome_table
safety.teae_grade_table
safety.teae_table
safety.weight_records
safety.worst_lab_grades
sweep.CellProblem
sweep.RandomScenario
sweep.SweepCell
sweep.SweepComparison
sweep.SweepGrid
sweep.SweepReport
sweep.SweepResults
sweep.compare_designs
sweep.expand_grid
sweep.load_grid
sweep.paoletti_scenarios
sweep.plot_design_comparison
sweep.plot_tradeoff
sweep.read_sweep
sweep.run_sweep
sweep.sweep_client
    """.split()
)


def _needs(obj: object) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    need = ["Examples"]
    if inspect.isclass(obj):
        if not any(s in doc for s in ("Parameters", "Attributes")):
            need.append("Parameters")
    else:
        sig = inspect.signature(obj)
        if sig.parameters:
            need.append("Parameters")
        if sig.return_annotation not in (None, "None", inspect.Signature.empty):
            need.append("Returns")
    return [s for s in need if s not in doc and not (s == "Parameters" and s in need[:0])]


def incomplete() -> dict[str, list[str]]:
    """Every public name of the API short of a numpydoc section, with the sections missing."""
    out: dict[str, list[str]] = {}
    for pkg in PACKAGES:
        mod = importlib.import_module(f"cartrial.{pkg}")
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            miss = _needs(obj)
            if miss:
                out[f"{pkg}.{name}"] = miss
    return out


def test_no_new_public_name_without_numpydoc_sections() -> None:
    new = {k: v for k, v in incomplete().items() if k not in KNOWN}
    assert not new, f"public names without numpydoc sections: {new}"


def test_known_list_only_shrinks() -> None:
    done = sorted(KNOWN - set(incomplete()))
    assert not done, f"now documented; remove from KNOWN: {done}"
