# dfcrm reference trials and operating characteristics for tests/design/test_crm_dfcrm.py.
# Provenance: dfcrm 0.2-2.1 built from the CRAN mirror repository cran/dfcrm at commit
# 18891ccb969e3e4f87e4489a04b48df227bb9273 (R CMD INSTALL of `git archive HEAD`), R 4.2.2.
# crmsim() defaults: empiric model, bayes, scale = sqrt(1.34), restrict = TRUE (no skipping,
# coherence), no safety stop, no overdose control. Seeds are given per run.
# Run: Rscript dfcrm_reference.R   (writes dfcrm_trials.csv and dfcrm_oc.csv here)
suppressPackageStartupMessages(library(dfcrm))
prior <- getprior(0.05, 0.25, 3, 5)
runs <- list(
  # toxic from dose 1: cartrial's default safety stop / overdose control would stop these
  list(id = "toxic", PI = c(0.45, 0.55, 0.65, 0.75, 0.85), n = 18, mcohort = 3, seed = 11),
  list(id = "toxic1", PI = c(0.45, 0.55, 0.65, 0.75, 0.85), n = 12, mcohort = 1, seed = 12),
  list(id = "safe", PI = c(0.02, 0.05, 0.08, 0.12, 0.25), n = 18, mcohort = 3, seed = 13),
  list(id = "mid", PI = c(0.05, 0.12, 0.25, 0.40, 0.55), n = 24, mcohort = 3, seed = 14),
  list(id = "mid1", PI = c(0.05, 0.12, 0.25, 0.40, 0.55), n = 15, mcohort = 1, seed = 15)
)
trials <- NULL
for (r in runs) {
  s <- crmsim(r$PI, prior, 0.25, r$n, 1, nsim = 1, mcohort = r$mcohort, seed = r$seed)
  trials <- rbind(trials, data.frame(id = r$id, mcohort = r$mcohort, patient = seq_len(r$n),
                                     level = s$level, tox = s$tox, final_mtd = s$MTD))
}
con <- file("dfcrm_trials.csv", "w")
writeLines(sprintf("# dfcrm %s, R %s.%s; prior = getprior(0.05, 0.25, 3, 5) = %s; target 0.25",
                   packageVersion("dfcrm"), R.version$major, R.version$minor,
                   paste(format(prior, digits = 17), collapse = " ")), con)
write.csv(trials, con, row.names = FALSE)
close(con)
nsim <- 2000
oc <- NULL
scen <- list(toxic = c(0.45, 0.55, 0.65, 0.75, 0.85), mid = c(0.05, 0.12, 0.25, 0.40, 0.55))
for (nm in names(scen)) {
  s <- crmsim(scen[[nm]], prior, 0.25, 18, 1, nsim = nsim, mcohort = 3, seed = 2026)
  oc <- rbind(oc, data.frame(scenario = nm, dose = 1:5, p_true = scen[[nm]],
                             pct_selected = 100 * s$MTD, mean_patients = s$level))
}
con <- file("dfcrm_oc.csv", "w")
writeLines(sprintf("# dfcrm %s, R %s.%s; crmsim(PI, getprior(0.05, 0.25, 3, 5), 0.25, n = 18, x0 = 1, nsim = %d, mcohort = 3, seed = 2026)",
                   packageVersion("dfcrm"), R.version$major, R.version$minor, nsim), con)
write.csv(oc, con, row.names = FALSE)
close(con)
