"""ADaM-style analysis datasets (ADaMIG conventions; admiral ``derive_*`` naming)."""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.adam.adab import derive_adab
    from cartrial.adam.adae import (
        derive_adae,
        derive_var_dtoxgr,
        derive_var_trtemfl,
        derive_vars_aedt,
        derive_vars_atoxgr,
    )
    from cartrial.adam.adcyt import derive_adcyt
    from cartrial.adam.adex import derive_adex
    from cartrial.adam.adhtox import derive_adhtox
    from cartrial.adam.adlb import (
        derive_adlb,
        derive_adlb_batches,
        derive_var_ablfl,
        derive_vars_lb_param,
    )
    from cartrial.adam.adlb_grades import derive_vars_atoxgr_lb
    from cartrial.adam.adpc import derive_adpc
    from cartrial.adam.adpp import derive_adpp, derive_param_nca, nca_paramcd
    from cartrial.adam.adrs import (
        AVAL_CODE,
        derive_adrs,
        derive_param_cbor,
        derive_param_invovr,
        derive_param_mrd,
        derive_param_ovr,
    )
    from cartrial.adam.adsl import (
        derive_adsl,
        derive_adsl_base,
        derive_var_aphdt,
        derive_vars_trt,
    )
    from cartrial.adam.adsl_pop import derive_var_popcd, derive_vars_popfl
    from cartrial.adam.adsl_status import derive_var_lstalvdt, derive_vars_dth, derive_vars_eos
    from cartrial.adam.adsynd import derive_adsynd
    from cartrial.adam.adtte import derive_adtte, event_from_cnsr, km_inputs
    from cartrial.adam.batched import BatchedDataset
    from cartrial.adam.build import AdamResult, build_adam, data_cutoff, derived_ae_grades
    from cartrial.adam.metadata import (
        DATASETS,
        DatasetProfile,
        define_html,
        variable_label,
        variable_metadata,
    )
    from cartrial.adam.write import adam_csv_text, write_adam, write_adam_xpt

__all__ = [
    "AVAL_CODE",
    "DATASETS",
    "AdamResult",
    "BatchedDataset",
    "DatasetProfile",
    "adam_csv_text",
    "build_adam",
    "data_cutoff",
    "define_html",
    "derive_adab",
    "derive_adae",
    "derive_adcyt",
    "derive_adex",
    "derive_adhtox",
    "derive_adsynd",
    "derive_adpc",
    "derive_adpp",
    "derive_adlb",
    "derive_adlb_batches",
    "derive_adrs",
    "derive_adsl",
    "derive_adsl_base",
    "derive_adtte",
    "derived_ae_grades",
    "derive_param_cbor",
    "derive_param_invovr",
    "derive_param_mrd",
    "derive_param_nca",
    "derive_param_ovr",
    "derive_var_ablfl",
    "derive_var_aphdt",
    "derive_var_dtoxgr",
    "derive_var_lstalvdt",
    "derive_var_popcd",
    "derive_var_trtemfl",
    "derive_vars_aedt",
    "derive_vars_atoxgr",
    "derive_vars_atoxgr_lb",
    "nca_paramcd",
    "derive_vars_dth",
    "derive_vars_eos",
    "derive_vars_lb_param",
    "derive_vars_popfl",
    "derive_vars_trt",
    "event_from_cnsr",
    "km_inputs",
    "variable_label",
    "variable_metadata",
    "write_adam",
    "write_adam_xpt",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
