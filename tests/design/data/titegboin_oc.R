# TITEgBOIN operating characteristics, reference for tests/design/test_titegboin_preset.py.
# Provenance: TITEgBOIN 0.4.0 built from the CRAN mirror repository cran/TITEgBOIN at commit
# bbf573aed933cf5d1e9dc869e05da3ac55b22f94 (R CMD INSTALL of `git archive HEAD`), R 4.2.2.
# Defaults (maxpen 0.5, alpha1 = alpha2 = 0.5, cutoff.eli 0.95, Neli 3); time unit = the DLT
# window (maxt = 1), accrual 2 patients per window; Monte Carlo (compare within 3 SE).
# Run: Rscript titegboin_oc.R > titegboin_oc.csv
suppressPackageStartupMessages(library(TITEgBOIN))
p <- c(0.10, 0.20, 0.30, 0.45, 0.60)
ntrial <- 3000
oc <- get_oc_TITE_QuasiBOIN(target = 0.3, prob = p, ncohort = 10, cohortsize = 3, maxt = 1,
                            accrual = 2, ntrial = ntrial, seed = 2026)
cat(sprintf("# TITEgBOIN %s, R %s.%s, ntrial %d, seed 2026; duration %.6f sd %.6f (window units); early stop %.4f%%\n",
            packageVersion("TITEgBOIN"), R.version$major, R.version$minor, ntrial,
            oc$duration, oc$sdduration, oc$percentstop))
cat("dose,p_true,pct_selected,mean_patients,duration,sd_duration,pct_early_stop\n")
for (d in seq_along(p))
  cat(sprintf("%d,%g,%.4f,%.5f,%.6f,%.6f,%.4f\n", d, p[d], oc$selpercent[d], oc$npatients[d],
              oc$duration, oc$sdduration, oc$percentstop))
