# Reference numbers for tests/nma: metafor's rma.mv on the same arm-level data as the Python engine.
#
# How it was made (R is not needed in CI; the tests compare with the stored output):
#   apt-get install -y r-cran-metafor        # Debian bookworm: R 4.2.2, metafor 3.8-1
#   cd tests/reference/nma && Rscript metafor_reference.R > metafor_reference.txt
# Writes metafor_reference.csv (all pairwise log odds ratios, random and common effect).
#
# Model (metafor's documented NMA formulation, cf. ?dat.hasselblad1998): each study contributes the log
# odds ratios of its arms against its base arm (the reference when present, else its first arm), with the
# base arm's variance as the covariance between them; 0.5 is added to every cell of a study with a zero
# cell; rma.mv(yi, V, mods = ~ X - 1, random = ~ comp | study, rho = 1/2, method = "REML").
suppressMessages(library(metafor))
cat("R", R.version$major, R.version$minor, " metafor", as.character(packageVersion("metafor")), "\n")

contrasts_of <- function(d, reference) {
  out <- NULL
  for (s in unique(d$study)) {
    a <- d[d$study == s, ]
    base <- if (reference %in% a$treatment) reference else a$treatment[1]
    e <- a$events; n <- a$n
    if (any(e == 0 | e == n)) { e <- e + 0.5; n <- n + 1 }
    lo <- log(e / (n - e)); v <- 1 / e + 1 / (n - e)
    b <- which(a$treatment == base)
    for (k in seq_len(nrow(a))[-b]) {
      out <- rbind(out, data.frame(study = s, base = base, trt = a$treatment[k],
                                   yi = lo[k] - lo[b], vi = v[k] + v[b], vbase = v[b]))
    }
  }
  out$comp <- paste(out$trt, out$base, sep = " vs ")
  out
}

vcov_blocks <- function(dat) {
  bldiag(lapply(split(dat, factor(dat$study, levels = unique(dat$study))), function(x) {
    m <- matrix(x$vbase[1], nrow(x), nrow(x)); diag(m) <- x$vi; m
  }))
}

analyse <- function(file, reference, label) {
  d <- read.csv(file, stringsAsFactors = FALSE)
  trts <- c(reference, sort(setdiff(unique(d$treatment), reference)))
  dat <- contrasts_of(d, reference)
  X <- sapply(trts[-1], function(t) (dat$trt == t) - (dat$base == t))
  colnames(X) <- make.names(trts[-1])
  dat <- cbind(dat, X)
  V <- vcov_blocks(dat)
  f <- as.formula(paste("~", paste(colnames(X), collapse = " + "), "- 1"))
  rows <- NULL
  for (model in c("random", "common")) {
    fit <- if (model == "random") {
      rma.mv(yi, V, mods = f, random = ~ comp | study, rho = 1/2, data = dat, method = "REML")
    } else {
      rma.mv(yi, V, mods = f, data = dat)
    }
    cat("\n====", label, model, "====\n"); print(fit)
    b <- c(0, coef(fit)); vc <- matrix(0, length(trts), length(trts)); vc[-1, -1] <- vcov(fit)
    for (i in seq_along(trts)) for (j in seq_along(trts)) if (i != j) {
      est <- b[i] - b[j]; se <- sqrt(vc[i, i] + vc[j, j] - 2 * vc[i, j])
      rows <- rbind(rows, data.frame(network = label, model = model, treatment_1 = trts[i],
        treatment_2 = trts[j], estimate = est, se = se, ci_low = est - qnorm(0.975) * se,
        ci_high = est + qnorm(0.975) * se, tau2 = if (model == "random") fit$tau2 else 0))
    }
  }
  rows
}

# the smoking data in smoking.csv are Hasselblad (1998) as tabulated in NICE DSU TSD4 (multinma's copy);
# check them against metafor's own copy before using them
h <- dat.hasselblad1998
map <- c(no_contact = "No contact", self_help = "Self-help", ind_counseling = "Individual counselling",
         grp_counseling = "Group counselling")
ours <- read.csv("smoking.csv", stringsAsFactors = FALSE)
key <- function(t, e, n) sort(paste(t, e, n))
stopifnot(identical(key(map[h$trt], h$xi, h$ni), key(ours$treatment, ours$events, ours$n)))
cat("smoking.csv agrees with metafor::dat.hasselblad1998 (50 arms, 24 studies)\n")

out <- rbind(analyse("smoking.csv", "No contact", "smoking"), analyse("multiarm.csv", "A", "multiarm"))
write.csv(out, "metafor_reference.csv", row.names = FALSE)
cat("\n"); print(out, digits = 6)
