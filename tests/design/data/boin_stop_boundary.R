# BOIN get.boundary(extrasafe = TRUE) stopping row, reference for tests/design/test_tables.py.
# Provenance: BOIN 2.7.2 built from the CRAN mirror repository cran/BOIN at commit
# 6c3a0c2475fe51276dac994ff599a767496ad759 (R CMD INSTALL of `git archive HEAD`), R 4.2.2.
# Deterministic. Run: Rscript boin_stop_boundary.R > boin_stop_boundary.csv
suppressPackageStartupMessages(library(BOIN))
cat(sprintf("# BOIN %s, R %s.%s; get.boundary(target, ncohort = 10, cohortsize = 3, cutoff.eli, extrasafe = TRUE, offset)$stop_boundary\n",
            packageVersion("BOIN"), R.version$major, R.version$minor))
cat("target,cutoff,offset,n,stop_if_ge\n")
for (target in c(0.2, 0.25, 0.3)) for (cut in c(0.95, 0.9)) for (off in c(0.05, 0.1)) {
  b <- get.boundary(target, ncohort = 10, cohortsize = 3, cutoff.eli = cut, extrasafe = TRUE,
                    offset = off)$stop_boundary
  for (j in seq_len(ncol(b)))
    cat(sprintf("%g,%g,%g,%d,%s\n", target, cut, off, b[1, j], ifelse(is.na(b[2, j]), "", b[2, j])))
}
