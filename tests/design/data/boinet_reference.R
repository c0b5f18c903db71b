# Reference output for cartrial's BOIN-ET (tests/design/test_boinet_reference.py).
#
# Sources, unmodified, boinet 1.5.0 (CRAN mirror cran/boinet, commit
# d28e0e4732e32db4a8d4bbcb655f03a5c7acf3b4): R/boinet.R, gridoptim.R,
# obd.select.R, multi.iso.R, utility.*.R. Two run-time patches of boinet()'s body: the selection
# percentages and mean patients are returned unrounded; nothing else changes. The package's
# outcome generator calls copula::normalCopula / mvdc / rMvdc; the copula package is not
# installable here, so a stand-in package (fakecopula/, three functions) draws the two uniform
# event times independently (te.corr = 0). BOIN-ET's decisions and OBD depend on the per-dose
# DLT and response counts only, whose distribution does not depend on the correlation.
#
# Run (R 4.2.2, Iso 0.0-18.1):
#   R CMD INSTALL -l <lib> fakecopula/copula
#   Rscript boinet_reference.R <boinet tree> <lib> <out dir>
args <- commandArgs(trailingOnly = TRUE)
src <- args[1]; .libPaths(c(args[2], .libPaths())); out <- args[3]
suppressMessages(library(Iso))
for (f in c("boinet.R", "gridoptim.R", "obd.select.R", "multi.iso.R", "utility.weighted.R",
            "utility.scoring.R", "utility.truncated.linear.R")) source(file.path(src, "R", f))
b <- deparse(boinet)
b <- sub("round(mean(obd==i)*100,digits=1)", "mean(obd==i)*100", b, fixed = TRUE)
b <- sub("round(mean(obd==0)*100,digits=1)", "mean(obd==0)*100", b, fixed = TRUE)
b <- sub("round(apply(data.obs.n,2,mean),digits=1)", "apply(data.obs.n,2,mean)", b, fixed = TRUE)
boinet_raw <- eval(parse(text = b))

runs <- list(
  list(tox = c(0.05, 0.1, 0.2, 0.3, 0.45), eff = c(0.1, 0.3, 0.5, 0.6, 0.6),
       est = "obs.prob", obd = "max.effprob"),
  list(tox = c(0.05, 0.1, 0.2, 0.3, 0.45), eff = c(0.1, 0.3, 0.5, 0.6, 0.6),
       est = "multi.iso", obd = "utility.weighted"),
  list(tox = c(0.1, 0.15, 0.25, 0.45, 0.55), eff = c(0.2, 0.45, 0.65, 0.5, 0.4),
       est = "multi.iso", obd = "utility.scoring"),
  list(tox = c(0.02, 0.05, 0.08, 0.12, 0.2), eff = c(0.3, 0.35, 0.4, 0.7, 0.7),
       est = "obs.prob", obd = "utility.truncated.linear")
)
res <- list()
for (s in seq_along(runs)) {
  r <- runs[[s]]
  o <- boinet_raw(n.dose = 5, start.dose = 1, size.cohort = 3, n.cohort = 10,
                  toxprob = r$tox, effprob = r$eff, phi = 0.3, delta = 0.6, tau.T = 30,
                  tau.E = 45, te.corr = 0, gen.event.time = "uniform", accrual = 10,
                  estpt.method = r$est, obd.method = r$obd, n.sim = 5000, seed.sim = 300 + s)
  res[[s]] <- data.frame(scenario = s, estimate = r$est, obd_method = r$obd,
                         dose = c(1:5, 0), true_tox = c(r$tox, NA), true_eff = c(r$eff, NA),
                         selected_pct = c(as.numeric(o$prop.select), as.numeric(o$prop.stop)),
                         patients = c(as.numeric(o$n.patient), NA),
                         lambda1 = as.numeric(o$lambda1), lambda2 = as.numeric(o$lambda2),
                         eta1 = as.numeric(o$eta1), n_sim = 5000)
}
write.csv(do.call(rbind, res), file.path(out, "boinet_r_oc.csv"), row.names = FALSE, na = "")

# 2. every dose decision of boinet's trial loop (60 trials per scenario above): the loop's
# state at the start of each cohort (dose to be given, patients, DLTs, responses per dose) is
# logged by a line inserted before `dlab <- paste("Dose",curdose,sep="")`; consecutive rows of a
# trial give the state after a cohort and the dose the rule chose
LOG <- list()
bl <- deparse(boinet)
at <- which(trimws(bl) == 'dlab <- paste("Dose", curdose, sep = "")')
bl[at] <- paste("LOG[[length(LOG) + 1]] <<- c(ss, i, curdose, obs.n, obs.tox, obs.eff);",
                bl[at])
boinet_log <- eval(parse(text = bl))
logs <- list()
for (s in seq_along(runs)) {
  r <- runs[[s]]
  LOG <- list()
  invisible(boinet_log(n.dose = 5, start.dose = 1, size.cohort = 3, n.cohort = 10,
                       toxprob = r$tox, effprob = r$eff, phi = 0.3, delta = 0.6, tau.T = 30,
                       tau.E = 45, te.corr = 0, gen.event.time = "uniform", accrual = 10,
                       estpt.method = r$est, obd.method = r$obd, n.sim = 60,
                       seed.sim = 400 + s))
  m <- do.call(rbind, LOG)
  colnames(m) <- c("trial", "cohort", "dose", paste0("n", 1:5), paste0("dlt", 1:5),
                   paste0("resp", 1:5))
  logs[[s]] <- data.frame(scenario = s, m)
}
write.csv(do.call(rbind, logs), file.path(out, "boinet_r_states.csv"), row.names = FALSE)
