# R escalation 0.2.3 on the scenario of brockk/escalation issue #8 (the MD Anderson BOIN12 web
# app's default settings with extra dose exploration de-selected and correlation 0), for
# tests/design/test_published_boin12.py.
#
# Sources, unmodified, every file of escalation 0.2.3's R/ directory (CRAN mirror
# cran/escalation, commit 1fcc1c352a5ab57c313f2499a5034775ce4051fe) and BOIN 2.7.2's
# R/get.boundary.R (cran/BOIN, commit 6c3a0c2475fe51276dac994ff599a767496ad759) instead of
# installing the package (its trialr / dfcrm / DiagrammeR imports are not used by BOIN12).
# The model is the issue's own code; `obd` appends select_boin12_obd() (escalation's final OBD
# selector, which the issue's code does not use).
#
# Run (R 4.2.2, dplyr 1.0.10, tidyr 1.3.0, purrr 1.0.1, tibble 3.1.8, stringr 1.5.0, magrittr
# 2.0.3, R6 2.5.1, Iso 0.0-18.1, gtools 3.9.4), 2,000 trials each, ~11 min each on one core:
#   Rscript published_boin12_escalation.R <escalation tree> <BOIN tree> <nsim> <seed> <no|obd> <out.csv>
# as: ... 2000 8 no esc_no.csv and ... 2000 9 obd esc_obd.csv; published_boin12_escalation.csv
# is the two outputs stacked under a provenance header.
args <- commandArgs(trailingOnly = TRUE)
esc <- args[1]; boin <- args[2]; nsim <- as.integer(args[3]); seed <- as.integer(args[4])
obd <- args[5] == "obd"; out <- args[6]
suppressMessages({library(dplyr); library(tidyr); library(purrr); library(tibble);
  library(stringr); library(magrittr); library(R6); library(Iso); library(gtools)})
for (f in list.files(file.path(esc, "R"), full.names = TRUE)) source(f)
sys.source(file.path(boin, "R/get.boundary.R"), envir = globalenv())
model <- get_boin12(num_doses = 5, phi_t = 0.35, phi_e = 0.25, u1 = 100, u2 = 40, u3 = 60,
                    u4 = 0, n_star = 6, c_t = 0.95, c_e = 0.9, start_dose = 1) %>%
  stop_when_n_at_dose(n = 12, dose = 'any') %>%
  stop_at_n(n = 36)
if (obd) model <- model %>% select_boin12_obd()
set.seed(seed)
sims <- model %>% simulate_trials(num_sims = nsim,
                                  true_prob_tox = c(0.03, 0.17, 0.35, 0.50, 0.65),
                                  true_prob_eff = c(0.12, 0.39, 0.43, 0.55, 0.65))
rec <- prob_recommend(sims)
write.csv(data.frame(selector = if (obd) "select_boin12_obd" else "recommended_dose",
                     dose = 0:5, selected_pct = 100 * as.numeric(rec),
                     patients = c(NA, colMeans(n_at_dose(sims))), n_trials = nsim, seed = seed),
          out, row.names = FALSE, na = "")
