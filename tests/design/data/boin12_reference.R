# Reference output for cartrial's BOIN12 (tests/design/test_boin12_reference.py).
#
# Sources, unmodified, the BOIN12 functions of two R packages from their source trees:
#   phase12designs 0.2.0 (github Angela-Cao/phase12designs, commit
#     6cdcb37d0e8f4987f88a67e8fbadffe960e5a91e): R/utils.R (get.boundary, pava, peestimate) and
#     R/oc_boin12.R (the BOIN12 simulation of Lin et al. 2020);
#   escalation 0.2.3 (CRAN mirror cran/escalation, commit
#     1fcc1c352a5ab57c313f2499a5034775ce4051fe): R/boin12_rds.R (rank-based desirability table)
#     and R/boin12_logic.R (boin12_next_dose, the dose decision of get_boin12), which calls
#   BOIN 2.7.2 (CRAN mirror cran/BOIN, commit 6c3a0c2475fe51276dac994ff599a767496ad759): R/get.boundary.R.
# oc_boin12 returns only summaries, so its body is patched at run time (below) to also return
# the per-dose selection %, patients, DLTs and responses it already computes.
#
# Run (R 4.2.2, Iso 0.0-18.1, dplyr 1.0.10):
#   Rscript boin12_reference.R <phase12designs tree> <escalation tree> <BOIN tree> <out dir>
args <- commandArgs(trailingOnly = TRUE)
p12 <- args[1]; esc <- args[2]; boin <- args[3]; out <- args[4]
suppressMessages({library(Iso); library(dplyr); library(tibble); library(magrittr)})
source(file.path(p12, "R/utils.R"))
source(file.path(p12, "R/oc_boin12.R"))
source(file.path(esc, "R/boin12_rds.R"))
source(file.path(esc, "R/boin12_logic.R"))
# BOIN's get.boundary, for escalation's functions only (phase12designs has its own)
boin_env <- new.env()
sys.source(file.path(boin, "R/get.boundary.R"), envir = boin_env)
esc_env <- new.env(parent = globalenv())
esc_env$get.boundary <- boin_env$get.boundary
environment(boin12_next_dose) <- esc_env

# 1. boundaries: phi_T 0.35, phi_E 0.25, c_T 0.95, c_E 0.9, 10 cohorts of 3
b <- get.boundary(0.35, 0.25, ncohort = 10, cohortsize = 3, cutoff.eli = 0.95,
                  cutoff.eli.E = 0.9)
bd <- data.frame(n = b[1, ], eliminate_tox = b[2, ], deescalate = b[3, ], escalate = b[4, ],
                 eliminate_eff = b[5, ])
write.csv(bd, file.path(out, "boin12_r_boundaries.csv"), row.names = FALSE, na = "")

# 2. OBD selection steps (oc_boin12, after the trial loop) on fixed data sets
set.seed(20201)
rows <- list()
for (case in 1:200) {
  k <- sample(3:6, 1)
  n <- sample(c(0, 3, 6, 9, 12), k, replace = TRUE)
  n[1] <- max(n[1], 3)
  yT <- sapply(n, function(m) sample(0:m, 1))
  yE <- sapply(n, function(m) sample(0:m, 1))
  pT <- pava((yT + 0.05) / (n + 0.1), n + 0.1) + 0.001 * seq(1, k)
  pE <- as.vector(peestimate(yE, n))
  u <- 60 * pE + (1 - pT) * 40
  u[n == 0] <- -100
  d_mtd <- which.min(abs(pT - 0.35))
  obd <- which.max(u[1:d_mtd])
  rows[[case]] <- data.frame(case = case, dose = 1:k, n = n, dlt = yT, resp = yE,
                             p_tox = pT, p_eff = pE, utility = u, mtd = d_mtd, obd = obd)
}
write.csv(do.call(rbind, rows), file.path(out, "boin12_r_selection.csv"), row.names = FALSE)

# 2b. Iso::ufit, the unimodal isotonic regression peestimate calls, on random data: unit
# weights, and the weights n + 0.5 that peestimate uses
set.seed(20202)
uf <- list()
for (case in 1:300) {
  k <- sample(3:6, 1)
  y <- round(runif(k), 4)
  w <- if (case %% 2 == 0) rep(1, k) else sample(c(0, 3, 6, 9, 12), k, replace = TRUE) + 0.5
  m <- sample(1:k, 1)
  x <- if (m == 1) seq(k, 1, by = -1) else c(1:(m - 1), seq(k, m))
  uf[[case]] <- data.frame(case = case, mode = m, dose = 1:k, y = y, w = w,
                           fit = ufit(y, lmode = m, x = x, w = w)[[2]])
}
write.csv(do.call(rbind, uf), file.path(out, "boin12_r_ufit.csv"), row.names = FALSE)

# 3. rank-based desirability table of Lin et al. 2020 Table 3 (escalation's own example)
rds <- boin12_rds(sample_sizes = c(0, 3, 6, 9), phi_t = 0.35, phi_e = 0.25, u1 = 100,
                  u2 = 40, u3 = 60, u4 = 0, c_t = 0.95, c_e = 0.9)
write.csv(as.data.frame(rds)[, c("Patients", "Toxicity", "Efficacy", "Admissible", "RDS")],
          file.path(out, "boin12_r_rds.csv"), row.names = FALSE)

# scenarios of sections 3b and 4: true DLT and response probabilities, true OBD and MTD
scen <- list(
  list(pT = c(0.1, 0.2, 0.3, 0.4, 0.4), pE = c(0.4, 0.5, 0.6, 0.6, 0.6), obd = 3, mtd = 3),
  list(pT = c(0.05, 0.1, 0.15, 0.2, 0.3), pE = c(0.1, 0.3, 0.5, 0.5, 0.5), obd = 3, mtd = 5),
  list(pT = c(0.15, 0.35, 0.5, 0.6, 0.7), pE = c(0.3, 0.5, 0.6, 0.65, 0.7), obd = 2, mtd = 2),
  list(pT = c(0.05, 0.08, 0.1, 0.12, 0.15), pE = c(0.05, 0.1, 0.15, 0.2, 0.25), obd = 5,
       mtd = 5)
)

# 3b. every dose decision of the authors' trial loop (60 trials per scenario of section 4):
# the state after each cohort (current dose, n, DLTs, responses, eliminated doses) and the dose
# chosen, logged by a line inserted before the loop's `d <- d_opt` (decisions that stop the
# trial are not logged)
LOG <- list()
src_log <- deparse(oc_boin12)
at <- which(trimws(src_log) == "d <- d_opt")
src_log[at] <- "LOG[[length(LOG) + 1]] <<- c(trial, i, d, d_opt, n, yT, yE, elimi); d <- d_opt"
oc_log <- eval(parse(text = src_log))
dec <- list()
for (s in seq_along(scen)) {
  LOG <- list()
  set.seed(200 + s)
  invisible(oc_log(ndose = 5, target_t = 0.35, lower_e = 0.25, ncohort = 10, cohortsize = 3,
                   psafe = 0.95, pfutility = 0.9, ntrial = 60, utilitytype = 1,
                   prob = scen[[s]]))
  m <- do.call(rbind, LOG)
  colnames(m) <- c("trial", "cohort", "dose", "next_dose", paste0("n", 1:5), paste0("dlt", 1:5),
                   paste0("resp", 1:5), paste0("elim", 1:5))
  dec[[s]] <- data.frame(scenario = s, m)
}
write.csv(do.call(rbind, dec), file.path(out, "boin12_r_decisions.csv"), row.names = FALSE)

# 3c. escalation's boin12_next_dose on the same states: patients rebuilt from the counts (with
# the additive utility 100/60/40/0 the pairing of DLTs and responses does not matter), the
# current dose's patients last
esc_next <- integer(nrow(dec_all <- do.call(rbind, dec)))
for (r in seq_len(nrow(dec_all))) {
  row <- dec_all[r, ]
  cur <- row$dose
  pts <- NULL
  for (j in c(setdiff(1:5, cur), cur)) {
    m <- row[[paste0("n", j)]]
    if (m == 0) next
    pts <- rbind(pts, data.frame(Dose = j,
                                 Toxicity = as.integer(seq_len(m) <= row[[paste0("dlt", j)]]),
                                 Efficacy = as.integer(seq_len(m) <= row[[paste0("resp", j)]])))
  }
  esc_next[r] <- boin12_next_dose(pts, ndoses = 5, maxN = 30, phi_t = 0.35, phi_e = 0.25,
                                  Nstar = 6, u1 = 100, u2 = 40, u3 = 60, u4 = 0)$next_dose
}
write.csv(data.frame(row = seq_len(nrow(dec_all)), escalation_next_dose = esc_next),
          file.path(out, "boin12_r_escalation_decisions.csv"), row.names = FALSE)

# 4. operating characteristics (10,000 trials per scenario, independent outcomes)
if (length(args) > 4 && args[5] == "no-oc") quit(save = "no")
src <- deparse(oc_boin12)
src <- sub("sel <- round(sel, 1)", "sel_raw <- sel; pts_raw <- pts; dlt_raw <- dlt; sel <- round(sel, 1)",
           src, fixed = TRUE)
src <- sub("results <- list(", "results <- list(sel = sel_raw, pts = pts_raw, dlt = dlt_raw, eff = eff, ",
           src, fixed = TRUE)
oc_full <- eval(parse(text = src))
res <- list()
for (s in seq_along(scen)) {
  set.seed(100 + s)
  r <- oc_full(ndose = 5, target_t = 0.35, lower_e = 0.25, ncohort = 10, cohortsize = 3,
               psafe = 0.95, pfutility = 0.9, ntrial = 10000, utilitytype = 1,
               prob = scen[[s]])
  res[[s]] <- data.frame(scenario = s, dose = 1:5, true_tox = scen[[s]]$pT,
                         true_eff = scen[[s]]$pE, selected_pct = r$sel, patients = r$pts,
                         dlt = r$dlt, responses = r$eff, obd_pct = r$bd.sel,
                         early_stop_pct = r$earlystop, ntrial = 10000)
}
write.csv(do.call(rbind, res), file.path(out, "boin12_r_oc.csv"), row.names = FALSE)
