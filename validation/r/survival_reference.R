# Reference outputs of R's survival package for cartrial's survival analyses.
#
# Writes, into the folder given as the first argument (default validation/data):
#   survival_input.csv   a synthetic CT071-like cohort (seeded; weekly days, so tied times)
#   survival_aml.csv     survival::aml, the second data set
#   survival_km.csv      survfit() by group: the summary() table (std.err = SE of S)
#   survival_median.csv  survfit() medians and their CIs (print.survfit), log-log and log bands
#   survival_logrank.csv survdiff(), unstratified and stratified: observed, expected, chi-square
#   survival_cox.csv     coxph(ties = "efron"), unstratified and stratified
#   survival_cuminc.csv  survfit() with a factor status: Aalen-Johansen cumulative incidence
#   survival_followup.csv reverse Kaplan-Meier (survfit(Surv(t, 1 - status))) median follow-up
# Two data sets: the synthetic cohort ("ct071sim") and survival::aml (Miller 1981).
# Times are reported in months = days / 30.4375 (the synthetic cohort; aml is in weeks, kept).
# Every file starts with '#' lines of provenance. tests/efficacy/test_r_reference.py reads them.
#
# Usage: Rscript validation/r/survival_reference.R [OUTDIR] [SURVIVAL_GIT_COMMIT]
suppressPackageStartupMessages(library(survival))
args <- commandArgs(TRUE)
out <- if (length(args) >= 1) args[1] else "validation/data"
commit <- if (length(args) >= 2) args[2] else "unknown"
SEED <- 20261206L
DPM <- 30.4375

header <- function(what) c(
  paste0("# ", what),
  paste0("# R ", R.version$major, ".", R.version$minor, "; survival ",
         as.character(packageVersion("survival")), " (github.com/cran/survival commit ", commit, ")"),
  paste0("# script validation/r/survival_reference.R; seed ", SEED, "; months = days / ", DPM)
)
write_ref <- function(df, file, what) {
  path <- file.path(out, file)
  writeLines(header(what), path)
  suppressWarnings(write.table(df, path, sep = ",", row.names = FALSE, append = TRUE,
                               quote = FALSE, na = "NA"))
}

# ---- the synthetic cohort: 3 dose levels x 30, two ISS strata, age, relapse vs NRM ----
set.seed(SEED)
n <- 90
dose <- rep(1:3, each = 30)
stratum <- sample(c("ISS1-2", "ISS3"), n, replace = TRUE, prob = c(0.7, 0.3))
age <- round(rnorm(n, 62, 8))
rate <- 0.004 * exp(-0.35 * (dose - 1) + 0.03 * (age - 62) + 0.5 * (stratum == "ISS3"))
t_rel <- rexp(n, 0.7 * rate)
t_nrm <- rexp(n, 0.3 * rate)
t_cens <- runif(n, 90, 720)
first <- pmin(t_rel, t_nrm, t_cens)
days <- ceiling(first / 7) * 7  # weekly visits: many tied times, events tied with censorings
cause <- ifelse(t_cens == first, 0L, ifelse(t_rel == first, 1L, 2L))
sim <- data.frame(USUBJID = sprintf("CT071-%03d", seq_len(n)), days = days,
                  status = as.integer(cause > 0), cause = cause, dose = dose,
                  stratum = stratum, age = age)
write_ref(sim, "survival_input.csv",
          "synthetic cohort: cause 0 = censored, 1 = relapse, 2 = non-relapse mortality")
sim$months <- sim$days / DPM
aml2 <- data.frame(months = aml$time, status = aml$status, group = as.character(aml$x))
write_ref(aml2, "survival_aml.csv",
          "survival::aml (Miller 1981, acute myelogenous leukaemia; time in weeks, kept as is)")

# ---- Kaplan-Meier by group ----
km_rows <- function(fit, dataset, conf) {
  s <- summary(fit, censored = TRUE)
  data.frame(dataset = dataset, conf_type = conf,
             group = sub("^[^=]*=", "", as.character(s$strata)),
             time = s$time, n_risk = s$n.risk, n_event = s$n.event, n_censor = s$n.censor,
             surv = s$surv, std_err = s$std.err, lower = s$lower, upper = s$upper)
}
med_rows <- function(fit, dataset, conf) {
  t <- summary(fit)$table
  data.frame(dataset = dataset, conf_type = conf, group = sub("^[^=]*=", "", rownames(t)),
             n = t[, "records"], events = t[, "events"], median = t[, "median"],
             lower = t[, paste0("0.95LCL")], upper = t[, paste0("0.95UCL")])
}
km <- list(); med <- list()
for (conf in c("log-log", "log")) {
  f1 <- survfit(Surv(months, status) ~ dose, data = sim, conf.type = conf)
  f2 <- survfit(Surv(months, status) ~ group, data = aml2, conf.type = conf)
  km[[length(km) + 1]] <- rbind(km_rows(f1, "ct071sim", conf), km_rows(f2, "aml", conf))
  med[[length(med) + 1]] <- rbind(med_rows(f1, "ct071sim", conf), med_rows(f2, "aml", conf))
}
write_ref(do.call(rbind, km), "survival_km.csv", "survfit(Surv(months, status) ~ group): summary()")
write_ref(do.call(rbind, med), "survival_median.csv", "survfit(): median and 95% CI")

# ---- log-rank ----
lr_rows <- function(sd, dataset, test) {
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  df <- length(sd$n) - 1
  data.frame(dataset = dataset, test = test, group = sub("^[^=]*=", "", names(sd$n)),
             n = as.integer(sd$n), observed = obs, expected = ex, chisq = sd$chisq, df = df,
             p_value = pchisq(sd$chisq, df, lower.tail = FALSE))
}
write_ref(rbind(
  lr_rows(survdiff(Surv(months, status) ~ dose, data = sim), "ct071sim", "logrank"),
  lr_rows(survdiff(Surv(months, status) ~ dose + strata(stratum), data = sim), "ct071sim",
          "stratified"),
  lr_rows(survdiff(Surv(months, status) ~ group, data = aml2), "aml", "logrank")
), "survival_logrank.csv", "survdiff(Surv(months, status) ~ group [+ strata(stratum)])")

# ---- Cox PH, Efron ties ----
cox_rows <- function(fit, dataset, model) {
  s <- summary(fit)
  co <- s$coefficients; ci <- s$conf.int
  data.frame(dataset = dataset, model = model, term = rownames(co), coef = co[, "coef"],
             se = co[, "se(coef)"], hr = co[, "exp(coef)"], lower = ci[, "lower .95"],
             upper = ci[, "upper .95"], z = co[, "z"], p_value = co[, "Pr(>|z|)"],
             loglik_null = fit$loglik[1], loglik = fit$loglik[2],
             lr_chisq = s$logtest[["test"]], wald_chisq = fit$wald.test,
             score_chisq = fit$score, n = fit$n, n_events = fit$nevent)
}
sim$dose_level <- factor(sim$dose)
write_ref(rbind(
  cox_rows(coxph(Surv(months, status) ~ dose_level + age, data = sim, ties = "efron"),
           "ct071sim", "dose_level+age"),
  cox_rows(coxph(Surv(months, status) ~ dose_level + age + strata(stratum), data = sim,
                 ties = "efron"), "ct071sim", "dose_level+age|stratum"),
  cox_rows(coxph(Surv(months, status) ~ group, data = aml2, ties = "efron"), "aml", "group")
), "survival_cox.csv", "coxph(..., ties = 'efron'): coefficients, 95% CI, tests")

# ---- competing risks: Aalen-Johansen ----
ci_rows <- function(fit, group) {
  s <- summary(fit, censored = TRUE)
  states <- s$states
  do.call(rbind, lapply(c("relapse", "nrm"), function(st) {
    j <- match(st, states)
    data.frame(group = group, cause = st, time = s$time, n_risk = s$n.risk[, 1],
               cuminc = s$pstate[, j], std_err = s$std.err[, j],
               lower = s$lower[, j], upper = s$upper[, j])
  }))
}
ev <- factor(sim$cause, 0:2, c("censored", "relapse", "nrm"))
rows <- list(ci_rows(survfit(Surv(sim$months, ev) ~ 1), "Overall"))
for (d in 1:3) {
  k <- sim$dose == d
  rows[[length(rows) + 1]] <- ci_rows(survfit(Surv(sim$months[k], ev[k]) ~ 1), as.character(d))
}
write_ref(do.call(rbind, rows), "survival_cuminc.csv",
          "survfit(Surv(months, factor(cause))): Aalen-Johansen pstate, std.err, 95% CI (log)")

# ---- median follow-up by reverse Kaplan-Meier ----
fu <- list()
for (conf in c("log-log", "log")) {
  f <- survfit(Surv(months, 1 - status) ~ 1, data = sim, conf.type = conf)
  t <- summary(f)$table
  fu[[length(fu) + 1]] <- data.frame(dataset = "ct071sim", conf_type = conf,
    n = t[["records"]], median = t[["median"]], lower = t[["0.95LCL"]], upper = t[["0.95UCL"]])
}
write_ref(do.call(rbind, fu), "survival_followup.csv",
          "reverse Kaplan-Meier: survfit(Surv(months, 1 - status) ~ 1)")
