# Reference TITE-BOIN decisions with pending DLT outcomes (effective sample size of Yuan et al.,
# Clin Cancer Res 2018;24:4921-30 / Lin & Yuan, Biostatistics 2020;21:807-24), used to check
# the toxicity half of cartrial's TITE-BOIN12 (tests/design/test_tite_boin12_reference.py).
# Package: TITEgBOIN 0.4.0 (CRAN mirror github.com/cran/TITEgBOIN, commit
# bbf573aed933cf5d1e9dc869e05da3ac55b22f94), function next_TITE_QuasiBOIN; R 4.2.2; set.seed(20220131).
# Run: Rscript tests/design/data/tite_boin12_reference.R > tests/design/data/tite_boin12_r_tite_boin.csv
suppressMessages(library(TITEgBOIN))
set.seed(20220131)
target <- 0.35; maxt <- 28
rows <- list()
for (i in 1:400) {
  n <- sample(3:12, 1)
  npend <- sample(0:n, 1)
  y <- sample(0:(n - npend), 1)
  fu <- round(runif(npend, 0, maxt), 2)
  res <- next_TITE_QuasiBOIN(target = target, n = c(3, n, 0), npend = c(0, npend, 0),
                             y = c(0, y, 0), ft = c(0, sum(fu), 0), d = 2, maxt = maxt,
                             maxpen = 0.5, n.earlystop = 100, print_d = FALSE)
  rows[[i]] <- data.frame(n = n, npend = npend, y = y,
                          follow_up = paste(format(fu, nsmall = 2), collapse = ";"),
                          next_dose = res$d, suspend = res$pending,
                          eliminated = as.integer(res$elimi[2] == 1))
}
write.csv(do.call(rbind, rows), stdout(), row.names = FALSE, quote = TRUE)
