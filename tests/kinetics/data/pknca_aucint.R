# Reference interval AUCs from PKNCA for tests/kinetics/test_nca.py (AUC0_<day>, BLQ after Tlast).
# Provenance: PKNCA 0.12.1 built from the CRAN mirror repository cran/PKNCA at commit
# 72b3b14fa5d78dc59ee1e4c86d55a304fed723db (R CMD INSTALL of `git archive HEAD`), R 4.2.2.
# Deterministic (no random draws). Run: Rscript pknca_aucint.R > pknca_aucint.csv
# BLQ samples are coded 0 (PKNCA's coding; conc.blq default first=keep, middle=drop, last=keep).
suppressPackageStartupMessages(library(PKNCA))
cases <- list(
  A  = list(time = c(0, 7, 14, 21, 28), conc = c(0, 100, 1000, 500, 0)),
  B  = list(time = c(0, 7, 14, 21, 35), conc = c(0, 100, 1000, 500, 0)),
  P1 = list(time = c(0, 1, 4, 7, 14, 21, 28, 56, 90),
            conc = c(0, 10, 100, 1000, 500, 250, 125, 0, 0))
)
runs <- data.frame(case = c("A", "B", "B", "P1", "P1", "P1"),
                   end = c(28, 28, 28, 10, 28, 40),
                   method = c("lin up/log down", "lin up/log down", "linear",
                              "lin up/log down", "lin up/log down", "lin up/log down"))
cat(sprintf("# PKNCA %s, R %s.%s\n", packageVersion("PKNCA"), R.version$major, R.version$minor))
cat("case,end,method,auclast,aucint_last,aucint_all\n")
for (i in seq_len(nrow(runs))) {
  x <- cases[[runs$case[i]]]
  m <- runs$method[i]
  cat(sprintf("%s,%g,%s,%.12g,%.12g,%.12g\n", runs$case[i], runs$end[i], m,
              pk.calc.auc.last(x$conc, x$time, method = m),
              pk.calc.aucint.last(x$conc, x$time, start = 0, end = runs$end[i], method = m),
              pk.calc.aucint.all(x$conc, x$time, start = 0, end = runs$end[i], method = m)))
}
