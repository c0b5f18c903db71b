# Reference effective sample sizes, estimates and utility quasi-events with pending toxicity and
# efficacy, computed by the TITE update step of the PKBOIN-12 authors' published code
# (github.com/EugeneHao/PKBOIN-12, fun_TITE_PK_update.R, commit
# 9f2a6f233767a47e2a40464e4151726abdc22554), which carries TITE-BOIN12's approximated likelihood
# (Zhou et al., Stat Med 2022;41:1918-1931, section 2.2). R 4.2.2 with dplyr 1.0.10 and
# truncnorm 1.0-8; set.seed(20220131). Cohorts go to random doses (only the summaries are checked).
# Run: Rscript tests/design/data/tite_boin12_ess_reference.R <path to fun_TITE_PK_update.R>
#      (writes tite_boin12_r_ess_patients.csv and tite_boin12_r_ess_doses.csv next to this script)
suppressMessages(library(dplyr))
source(commandArgs(trailingOnly = TRUE)[1])
set.seed(20220131)
out <- "tests/design/data"
pats <- list(); doses <- list()
for (trial in 1:60) {
  dN <- 4; csize <- 3; ncoh <- sample(2:6, 1)
  patDT <- data.frame(cid = rep(1:ncoh, each = csize), enroll = NA, toxend = NA, effend = NA,
                      PK = NA, tox = NA, eff = NA, toxobs = NA, effobs = NA, toxdat = Inf,
                      effdat = Inf, d = NA, tox_confirm = NA, eff_confirm = NA)
  doseDT <- data.frame(tox = c(0.1, 0.2, 0.35, 0.5), eff = c(0.2, 0.4, 0.5, 0.6), PK = 1,
                       n = 0, x = 0, y = 0, ESS_t = 0, ESS_e = 0, pi_t_hat = 0, pi_e_hat = 0,
                       x_d = 0, r_d = 0, r_sd = 0)
  now <- 0
  for (cid in 1:ncoh) {
    res <- fun_TITE_PK_update(cid, CV = 0.01, g_P = 0, patDT = patDT, doseDT = doseDT,
                              current = sample(1:dN, 1), time_current = now, tox_win = 30,
                              eff_win = 60, csize = csize, tox_dist = "Uniform",
                              eff_dist = "Uniform", accrual = 8, accrual_random = TRUE,
                              use_susp = sample(c(TRUE, FALSE), 1))
    patDT <- res$patDT; doseDT <- res$doseDT; now <- res$time_next
  }
  p <- patDT[!is.na(patDT$d), c("d", "enroll", "toxdat", "effdat")]
  pats[[trial]] <- cbind(trial = trial, time = now, p)
  doses[[trial]] <- cbind(trial = trial, dose = 1:dN, doseDT[, c("n", "x", "y", "ESS_t", "ESS_e", "x_d")])
}
write.csv(do.call(rbind, pats), file.path(out, "tite_boin12_r_ess_patients.csv"), row.names = FALSE)
write.csv(do.call(rbind, doses), file.path(out, "tite_boin12_r_ess_doses.csv"), row.names = FALSE)
