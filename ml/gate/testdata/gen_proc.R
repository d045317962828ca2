#!/usr/bin/env Rscript
# Third-party DeLong reference for ml/gate: writes asah.csv and
# proc_reference.json from R's pROC package (X. Robin, N. Turck, A.
# Hainard et al., "pROC: an open-source package for R and S+ to analyze
# and compare ROC curves", BMC Bioinformatics 12 (2011) 77), which
# TestDeLongPROC compares with gate.DeLong. CI does not need R: the test
# reads the two files committed next to this script.
#
# Run from the repository root, after `apt-get install -y r-cran-proc`
# (Debian bookworm: pROC 1.18.0, R 4.2.2):
#
#     Rscript ml/gate/testdata/gen_proc.R
#
# Data: pROC's bundled aSAH data set, 113 patients with aneurysmal
# subarachnoid haemorrhage (N. Turck, L. Vutskits, P. Sanchez-Pena et al.,
# "A multiparameter panel method for outcome prediction following
# aneurysmal subarachnoid hemorrhage", Intensive Care Medicine 36 (2010)
# 107-115), as distributed with pROC under the GPL (version 3 or later).
# asah.csv copies the four columns used here, as a small data table for
# testing: outcome, s100b, wfns (the WFNS grade 1-5 as a number) and ndka.
#
# Direction and levels are set, not left to pROC: by default roc() picks
# the direction ("<" or ">") by comparing the medians of the two groups
# and the levels from the factor. Here levels = c("Good", "Poor") makes
# "Good" the controls and "Poor" the cases (the positive class, label 1 in
# Go), and direction = "<" says that controls score lower than cases, which
# is gate.DeLong's convention (a higher score means class 1). All three
# markers rank "Poor" higher, so pROC's automatic choice would agree.

suppressPackageStartupMessages(library(pROC))

data(aSAH, package = "pROC")
stopifnot(nrow(aSAH) == 113)

out <- "ml/gate/testdata"
d <- data.frame(
  outcome = as.character(aSAH$outcome),
  s100b = aSAH$s100b,
  wfns = as.numeric(as.character(aSAH$wfns)),
  ndka = aSAH$ndka
)
# 15 significant digits give back the same doubles (checked).
for (v in c("s100b", "wfns", "ndka")) {
  stopifnot(all(as.numeric(format(d[[v]], digits = 15)) == d[[v]]))
}
write.csv(d, file.path(out, "asah.csv"), row.names = FALSE, quote = FALSE)

curve <- function(v) roc(d$outcome, d[[v]], levels = c("Good", "Poor"), direction = "<", quiet = TRUE)
markers <- c("s100b", "wfns", "ndka")
rocs <- lapply(markers, curve)
names(rocs) <- markers

single <- lapply(markers, function(v) {
  r <- rocs[[v]]
  list(predictor = v, auc = as.numeric(auc(r)), var = var(r, method = "delong"))
})

pairs <- list(c("s100b", "wfns"), c("s100b", "ndka"), c("wfns", "ndka"))
tests <- lapply(pairs, function(p) {
  t <- roc.test(rocs[[p[1]]], rocs[[p[2]]], method = "delong", paired = TRUE)
  list(
    a = p[1], b = p[2],
    cov = cov(rocs[[p[1]]], rocs[[p[2]]], method = "delong"),
    z = unname(t$statistic), p = t$p.value
  )
})

# jsonlite prints at most 15 significant digits; numbers are written with
# 17, which give back the same doubles.
g17 <- function(x) sprintf("%.17g", x)
q <- function(x) paste0('"', gsub('"', '\\\\"', x), '"')
obj <- function(...) {
  f <- list(...)
  paste0("{", paste0(q(names(f)), ": ", unlist(f), collapse = ", "), "}")
}
json <- c(
  "{",
  paste0('  "source": ', q("R pROC: roc(levels = c('Good', 'Poor'), direction = '<'), auc(), var(method = 'delong'), cov(method = 'delong'), roc.test(method = 'delong', paired = TRUE)"), ","),
  paste0('  "proc_version": ', q(as.character(packageVersion("pROC"))), ","),
  paste0('  "r_version": ', q(R.version.string), ","),
  '  "rocs": [',
  paste0("    ", sapply(single, function(s) obj(predictor = q(s$predictor), auc = g17(s$auc), var = g17(s$var))),
    c(rep(",", length(single) - 1), "")),
  "  ],",
  '  "tests": [',
  paste0("    ", sapply(tests, function(t) obj(a = q(t$a), b = q(t$b), cov = g17(t$cov), z = g17(t$z), p = g17(t$p))),
    c(rep(",", length(tests) - 1), "")),
  "  ]",
  "}"
)
if (requireNamespace("jsonlite", quietly = TRUE)) {
  back <- jsonlite::fromJSON(paste(json, collapse = "\n"))
  stopifnot(identical(back$tests$z, sapply(tests, function(t) t$z)), identical(back$rocs$var, sapply(single, function(s) s$var)))
}
writeLines(json, file.path(out, "proc_reference.json"))
