# Kaplan-Meier quantiles and their confidence limits from R survival, reference for
# tests/efficacy/test_km.py. 300 random small data sets (ties, censoring, curves that reach 0),
# drawn with set.seed(2026); quantile.survfit() of survfit() for each conf.type, and the median
# with its limits as print.survfit() prints them (summary(fit)$table), in km_median.csv.
# Provenance: R survival as shipped by Debian bookworm (r-cran-survival), R 4.2.2; the version is
# printed in the first line of the output. Run: Rscript km_quantiles.R > km_quantiles.csv
suppressPackageStartupMessages(library(survival))
set.seed(2026)
cat(sprintf("# survival %s, R %s.%s, set.seed(2026)\n", packageVersion("survival"),
            R.version$major, R.version$minor))
cat("case,time,event,conf_type,prob,quantile,lower,upper\n")
med <- NULL
for (i in 1:300) {
  n <- sample(4:30, 1)
  time <- sample(1:40, n, replace = TRUE)
  event <- rbinom(n, 1, runif(1, 0.4, 1))
  if (runif(1) < 0.3) event[which.max(time)] <- 1  # often a curve that reaches 0
  for (ct in c("log-log", "log", "plain")) {
    fit <- survfit(Surv(time, event) ~ 1, conf.type = ct)
    q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
    tb <- summary(fit)$table
    med <- rbind(med, data.frame(case = i, conf_type = ct, median = tb[["median"]],
                                 lcl = tb[["0.95LCL"]], ucl = tb[["0.95UCL"]]))
    for (j in 1:3)
      cat(sprintf("%d,%s,%s,%s,%g,%s,%s,%s\n", i, paste(time, collapse = " "),
                  paste(event, collapse = " "), ct, c(0.25, 0.5, 0.75)[j],
                  q$quantile[j], q$lower[j], q$upper[j]))
  }
}
con <- file("km_median.csv", "w")
writeLines(sprintf("# survival %s, R %s.%s, set.seed(2026): print.survfit median and 95%% limits of the km_quantiles.csv cases",
                   packageVersion("survival"), R.version$major, R.version$minor), con)
write.csv(med, con, row.names = FALSE)
close(con)
