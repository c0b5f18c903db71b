# Reference operating characteristics of TITEgBOIN's TITE-BOIN for cartrial's simulator.
#
# Writes OUTDIR/titegboin_oc.csv: get_oc_TITE_QuasiBOIN(score = NA, TITE = TRUE) - per-dose
# selection %, mean patients, mean DLTs; % early stop; mean sample size; mean and SD of the trial
# duration - for three scenarios (5 doses, target 0.3, 10 cohorts of 3). Time unit: days (DLT
# window maxt = 28 days, accrual 0.1 patients per day = 3.04375 per 30.4375-day month), so the
# duration is in days. The package's defaults otherwise: maxpen 0.5, alpha1 = alpha2 = 0.5
# (Weibull onset: half of the DLTs in the last half of the window), cutoff.eli 0.95.
# tests/design/test_r_reference.py reads the file.
#
# Usage: Rscript validation/r/titegboin_reference.R OUTDIR LIB TITEGBOIN_COMMIT
args <- commandArgs(TRUE)
out <- args[1]
lib <- args[2]
commit <- args[3]
suppressPackageStartupMessages(library(TITEgBOIN, lib.loc = lib))
SEED <- 20261206L
NTRIAL <- 5000
scen <- list(c(0.05, 0.10, 0.20, 0.30, 0.45), c(0.10, 0.25, 0.40, 0.50, 0.60),
             c(0.02, 0.05, 0.08, 0.12, 0.30))
rows <- list()
for (s in seq_along(scen)) {
  oc <- get_oc_TITE_QuasiBOIN(target = 0.3, prob = scen[[s]], score = NA, TITE = TRUE,
                              ncohort = 10, cohortsize = 3, maxt = 28, accrual = 0.1,
                              maxpen = 0.5, alpha1 = 0.5, alpha2 = 0.5, ntrial = NTRIAL,
                              seed = SEED + s)
  rows[[s]] <- data.frame(
    scenario = s, seed = SEED + s, ntrial = NTRIAL, dose = seq_along(scen[[s]]),
    p_true = scen[[s]], pct_selected = oc$selpercent, mean_patients = oc$npatients,
    mean_dlts = oc$ntox, pct_early_stop = oc$percentstop, mean_sample_size = oc$totaln,
    duration_days = oc$duration, sd_duration_days = oc$sdduration)
}
path <- file.path(out, "titegboin_oc.csv")
writeLines(c(
  paste0("# get_oc_TITE_QuasiBOIN(target = 0.3, prob, score = NA, TITE = TRUE, ncohort = 10, ",
         "cohortsize = 3, maxt = 28, accrual = 0.1, maxpen = 0.5, alpha1 = 0.5, alpha2 = 0.5, ntrial, seed)"),
  paste0("# R ", R.version$major, ".", R.version$minor, "; TITEgBOIN ",
         as.character(packageVersion("TITEgBOIN", lib.loc = lib)),
         " (github.com/cran/TITEgBOIN commit ", commit, ")"),
  paste0("# script validation/r/titegboin_reference.R; seed ", SEED, " + scenario")
), path)
suppressWarnings(write.table(do.call(rbind, rows), path, sep = ",", row.names = FALSE,
                             append = TRUE, quote = FALSE))
