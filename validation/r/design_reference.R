# Reference outputs of the R dose-finding packages for cartrial's design engine.
#
# Writes, into the folder given as the first argument (default validation/data):
#   boin_boundary.csv    BOIN get.boundary(): escalate / de-escalate / eliminate counts, n = 1..30
#   boin_select_mtd.csv  BOIN select.mtd() on seeded random data (5 doses), boundMTD off and on
#   boin_get_oc.csv      BOIN get.oc(): per-dose selection %, mean patients, mean DLTs; % stop
#   dfcrm_crm.csv        dfcrm crm(): posterior mean and variance of the power-model parameter,
#                        ptox, recommended dose, on seeded random data
#   dfcrm_titecrm.csv    dfcrm titecrm() with linear weights, same quantities
# Each file starts with '#' provenance lines (R version, package version and the commit of its
# github.com/cran mirror, seed). tests/design/test_r_reference.py reads them.
#
# Usage: Rscript validation/r/design_reference.R OUTDIR LIB BOIN_COMMIT DFCRM_COMMIT
#   LIB: the library the packages were installed into by R CMD INSTALL from the cran mirrors.
args <- commandArgs(TRUE)
out <- args[1]
lib <- args[2]
commits <- c(BOIN = args[3], dfcrm = args[4])
suppressPackageStartupMessages({
  library(BOIN, lib.loc = lib)
  library(dfcrm, lib.loc = lib)
})
SEED <- 20261206L

write_ref <- function(df, file, pkg, what, seed = SEED) {
  path <- file.path(out, file)
  writeLines(c(
    paste0("# ", what),
    paste0("# R ", R.version$major, ".", R.version$minor, "; ", pkg, " ",
           as.character(packageVersion(pkg, lib.loc = lib)), " (github.com/cran/", pkg,
           " commit ", commits[[pkg]], ")"),
    paste0("# script validation/r/design_reference.R; seed ", seed)
  ), path)
  suppressWarnings(write.table(df, path, sep = ",", row.names = FALSE, append = TRUE,
                               quote = FALSE, na = "NA"))
}
vec <- function(x) paste(sprintf("%.17g", as.numeric(x)), collapse = ";")

# ---- BOIN get.boundary ----
rows <- list()
for (target in c(0.15, 0.2, 0.25, 0.3, 0.33, 0.35, 0.4)) {
  for (cut in c(0.95, 0.9)) {
    b <- get.boundary(target, ncohort = 30, cohortsize = 1, cutoff.eli = cut)
    tab <- b$boundary_tab
    rows[[length(rows) + 1]] <- data.frame(
      target = target, cutoff = cut, lambda_e = sprintf("%.17g", b$lambda_e),
      lambda_d = sprintf("%.17g", b$lambda_d), n = tab[1, ], escalate_le = tab[2, ],
      deescalate_ge = tab[3, ], eliminate_ge = tab[4, ])
  }
}
write_ref(do.call(rbind, rows), "boin_boundary.csv", "BOIN",
          "get.boundary(target, ncohort = 30, cohortsize = 1, cutoff.eli): boundary_tab")

# ---- BOIN select.mtd ----
set.seed(SEED)
rows <- list()
for (i in 1:300) {
  target <- sample(c(0.2, 0.25, 0.3, 0.33), 1)
  k <- 5
  npts <- sample(c(0, 3, 6, 9, 12), k, replace = TRUE, prob = c(0.15, 0.35, 0.25, 0.15, 0.1))
  npts[1] <- max(npts[1], 3)
  ptrue <- sort(runif(k, 0, 0.6))
  ntox <- rbinom(k, npts, ptrue)
  bound <- i > 150
  m <- select.mtd(target, npts, ntox, boundMTD = bound)$MTD
  rows[[i]] <- data.frame(case = i, target = target, bound_mtd = bound, npts = vec(npts),
                          ntox = vec(ntox), mtd = m)
}
write_ref(do.call(rbind, rows), "boin_select_mtd.csv", "BOIN",
          "select.mtd(target, npts, ntox, boundMTD): MTD (1-based; 99 = none)")

# ---- BOIN get.oc ----
scen <- list(c(0.05, 0.10, 0.20, 0.30, 0.45), c(0.10, 0.25, 0.40, 0.50, 0.60),
             c(0.02, 0.05, 0.08, 0.12, 0.30), c(0.40, 0.50, 0.60, 0.70, 0.80))
NTRIAL <- 10000
rows <- list()
for (s in seq_along(scen)) {
  for (bound in c(FALSE, TRUE)) {
    oc <- get.oc(target = 0.3, p.true = scen[[s]], ncohort = 10, cohortsize = 3,
                 boundMTD = bound, ntrial = NTRIAL, seed = SEED + s)
    rows[[length(rows) + 1]] <- data.frame(
      scenario = s, bound_mtd = bound, seed = SEED + s, ntrial = NTRIAL, dose = seq_along(scen[[s]]),
      p_true = scen[[s]], pct_selected = oc$selpercent, mean_patients = oc$npatients,
      mean_dlts = oc$ntox, pct_early_stop = oc$percentstop, mean_sample_size = oc$totaln,
      mean_total_dlts = oc$totaltox)
  }
}
write_ref(do.call(rbind, rows), "boin_get_oc.csv", "BOIN",
          "get.oc(target = 0.3, p.true, ncohort = 10, cohortsize = 3, boundMTD, ntrial, seed)",
          seed = paste0(SEED, " + scenario"))

# ---- dfcrm crm / titecrm ----
set.seed(SEED)
rows <- list(); trows <- list()
for (i in 1:200) {
  k <- sample(4:6, 1)
  target <- sample(c(0.2, 0.25, 0.3, 0.33), 1)
  nu <- sample(1:k, 1)
  prior <- getprior(0.05, target, nu, k)
  n <- sample(3:30, 1)
  level <- sort(sample(1:k, n, replace = TRUE, prob = rev(seq_len(k))))
  tox <- rbinom(n, 1, pmin(prior[level] * runif(1, 0.5, 2), 0.95))
  f <- crm(prior, target, tox, level)
  rows[[i]] <- data.frame(case = i, target = target, skeleton = vec(prior), level = vec(level),
                          tox = vec(tox), estimate = sprintf("%.17g", f$estimate),
                          post_var = sprintf("%.17g", f$post.var), ptox = vec(f$ptox),
                          mtd = f$mtd)
  # TITE: the last third of the patients are still followed (non-DLT, follow-up < 28 days)
  obswin <- 28
  followup <- rep(obswin, n)
  late <- seq_len(n) > 2 * n / 3 & tox == 0
  followup[late] <- round(runif(sum(late), 0, obswin), 1)
  g <- titecrm(prior, target, tox, level, followup = followup, obswin = obswin)
  trows[[i]] <- data.frame(case = i, target = target, skeleton = vec(prior), level = vec(level),
                           tox = vec(tox), followup = vec(followup), obswin = obswin,
                           estimate = sprintf("%.17g", g$estimate),
                           post_var = sprintf("%.17g", g$post.var), ptox = vec(g$ptox),
                           mtd = g$mtd)
}
write_ref(do.call(rbind, rows), "dfcrm_crm.csv", "dfcrm",
          "crm(getprior(0.05, target, nu, K), target, tox, level): empiric model, Bayes, sd sqrt(1.34)")
write_ref(do.call(rbind, trows), "dfcrm_titecrm.csv", "dfcrm",
          "titecrm(prior, target, tox, level, followup, obswin = 28): linear weights")
