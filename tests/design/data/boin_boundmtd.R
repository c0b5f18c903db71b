# R BOIN get.oc with and without boundMTD, reference for tests/design/test_bound_mtd.py.
# Provenance: BOIN 2.7.2 built from the CRAN mirror repository cran/BOIN at commit
# 6c3a0c2475fe51276dac994ff599a767496ad759 (R CMD INSTALL of `git archive HEAD`), R 4.2.2,
# seed 2026 per scenario and option, 20000 trials (Monte Carlo: compare within 3 SE).
# Run: Rscript boin_boundmtd.R > boin_boundmtd.csv
suppressPackageStartupMessages(library(BOIN))
scen <- list(s1 = c(0.10, 0.25, 0.42, 0.55, 0.70), s2 = c(0.05, 0.12, 0.30, 0.45, 0.60))
ntrial <- 20000
cat(sprintf("# BOIN %s, R %s.%s, ntrial %d, seed 2026, target 0.3, cohortsize 3, ncohort 10\n",
            packageVersion("BOIN"), R.version$major, R.version$minor, ntrial))
cat("scenario,bound_mtd,dose,p_true,pct_selected,mean_patients,pct_early_stop\n")
for (s in names(scen)) for (b in c(FALSE, TRUE)) {
  oc <- get.oc(target = 0.3, p.true = scen[[s]], ncohort = 10, cohortsize = 3,
               boundMTD = b, ntrial = ntrial, seed = 2026)
  for (d in seq_along(scen[[s]]))
    cat(sprintf("%s,%s,%d,%g,%.4f,%.5f,%.4f\n", s, tolower(b), d, scen[[s]][d],
                oc$selpercent[d], oc$npatients[d], oc$percentstop))
}
