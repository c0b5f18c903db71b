# MTD selection of TITEgBOIN (Beta(0.005, 0.005) prior) and BOIN (Beta(0.05, 0.05)) on the same
# random data, reference for tests/design/test_titegboin_preset.py. Deterministic functions of
# (n, y); the data are drawn with set.seed(2026).
# Provenance: TITEgBOIN 0.4.0 (cran/TITEgBOIN commit bbf573aed933cf5d1e9dc869e05da3ac55b22f94) and
# BOIN 2.7.2 (cran/BOIN commit 6c3a0c2475fe51276dac994ff599a767496ad759), each built from the CRAN
# mirror repository with R CMD INSTALL of `git archive HEAD`, R 4.2.2.
# Run: Rscript titegboin_select.R > titegboin_select.csv
suppressPackageStartupMessages({library(TITEgBOIN); library(BOIN)})
set.seed(2026)
cat(sprintf("# TITEgBOIN %s, BOIN %s, R %s.%s, set.seed(2026), target 0.3\n",
            packageVersion("TITEgBOIN"), packageVersion("BOIN"), R.version$major, R.version$minor))
cat("case,n,y,titegboin_mtd,boin_mtd\n")
for (i in 1:400) {
  k <- 5
  n <- sample(c(0, 1, 2, 3, 3, 6, 6, 9, 12), k, replace = TRUE)
  p <- sort(runif(k, 0, 0.7))
  y <- rbinom(k, n, p)
  a <- select_mtd_TITE_QuasiBOIN(0.3, ntox = y, npts = n)
  b <- select.mtd(0.3, n, y)$MTD
  cat(sprintf("%d,%s,%s,%d,%d\n", i, paste(n, collapse = " "), paste(y, collapse = " "), a, b))
}
