# Golden fixtures for src/validate/*: R's `survival` package on data/colon and data/mgus2
# (plus small inline edge cases), written to test/fixtures/r/*.json.
#
# Every fixture carries its inputs (time, status, group, covariates) next to R's outputs, so
# the TypeScript tests feed exactly what R saw. Missing values and non-finite numbers are
# written as the strings "NA", "NaN", "Inf", "-Inf" (jsonlite na = "string").
#
# Run from the repository root:  Rscript scripts/r-golden.R
# Needs: r-base-core, r-cran-survival, r-cran-jsonlite (Debian/Ubuntu packages).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

out_dir <- file.path("test", "fixtures", "r")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

meta <- list(
  rVersion = unbox(R.version.string),
  survivalVersion = unbox(as.character(packageVersion("survival"))),
  script = unbox("scripts/r-golden.R")
)

write_fixture <- function(name, x) {
  path <- file.path(out_dir, paste0(name, ".json"))
  writeLines(toJSON(c(list(meta = meta), x), digits = NA, na = "string", pretty = FALSE), path)
  cat("wrote", path, "\n")
}

u <- unbox

# ---------------------------------------------------------------------------------------
# Endpoints from the timeline CSVs (patients.csv row order)
# ---------------------------------------------------------------------------------------

read_timeline <- function(dir) {
  patients <- read.csv(file.path("data", dir, "patients.csv"), stringsAsFactors = FALSE)
  events <- read.csv(file.path("data", dir, "events.csv"), stringsAsFactors = FALSE)
  list(patients = patients, events = events)
}

# Overall survival: day of the terminal row, status = (code == "DEATH").
os_endpoint <- function(tl) {
  term <- tl$events[tl$events$code %in% c("DEATH", "END_OF_FOLLOWUP"), ]
  stopifnot(!anyDuplicated(term$patient_id))
  i <- match(tl$patients$patient_id, term$patient_id)
  list(time = as.numeric(term$day[i]), status = as.integer(term$code[i] == "DEATH"))
}

# Time to first `code`: its first day (status 1), else the terminal day (status 0).
first_endpoint <- function(tl, code) {
  os <- os_endpoint(tl)
  ev <- tl$events[tl$events$code == code, ]
  first <- tapply(ev$day, ev$patient_id, min)
  f <- first[as.character(tl$patients$patient_id)]
  has <- !is.na(f)
  list(time = ifelse(has, as.numeric(f), os$time), status = as.integer(has))
}

colon <- read_timeline("colon")
mgus2 <- read_timeline("mgus2")
colon_os <- os_endpoint(colon)
colon_rec <- first_endpoint(colon, "RECURRENCE")
mgus2_os <- os_endpoint(mgus2)
mgus2_pcm <- first_endpoint(mgus2, "PCM")

# C-locale (radix) sorted levels, as trajsim's coxDesign sorts by code unit.
sorted_levels <- function(x) sort(unique(x[!is.na(x) & x != ""]), method = "radix")
codes0 <- function(x, levels) {
  m <- match(x, levels)
  ifelse(is.na(m), -1L, m - 1L)
}
colon_rx_levels <- sorted_levels(colon$patients$rx)
colon_rx <- codes0(colon$patients$rx, colon_rx_levels)
colon_sex_levels <- sorted_levels(colon$patients$sex)
colon_sex <- codes0(colon$patients$sex, colon_sex_levels)
mgus2_sex_levels <- sorted_levels(mgus2$patients$sex)
mgus2_sex <- codes0(mgus2$patients$sex, mgus2_sex_levels)

# ---------------------------------------------------------------------------------------
# Kaplan-Meier: survfit, summary(survfit), summary(fit, rmean = tau)$table, quantile
# ---------------------------------------------------------------------------------------

km_case <- function(name, time, status, conf = 0.95, taus = numeric(0)) {
  fit <- survfit(Surv(time, status) ~ 1, conf.int = conf)
  s <- summary(fit) # event times only
  tab <- summary(fit)$table
  q <- quantile(fit, probs = 0.5)
  rmeans <- lapply(taus, function(tau) {
    t2 <- summary(fit, rmean = tau)$table
    list(tau = u(tau), value = u(unname(t2["rmean"])), se = u(unname(t2["se(rmean)"])))
  })
  lcl <- paste0(conf, "LCL")
  ucl <- paste0(conf, "UCL")
  list(
    name = u(name),
    input = list(time = as.numeric(time), status = as.integer(status), confLevel = u(conf)),
    expected = list(
      time = as.numeric(s$time),
      nRisk = as.numeric(s$n.risk),
      nEvent = as.numeric(s$n.event),
      nCensor = as.numeric(s$n.censor),
      surv = as.numeric(s$surv),
      stdErr = as.numeric(s$std.err),
      lower = as.numeric(s$lower),
      upper = as.numeric(s$upper),
      median = u(unname(tab["median"])),
      medianLower = u(unname(tab[lcl])),
      medianUpper = u(unname(tab[ucl])),
      quantileMedian = u(unname(q$quantile)),
      n = u(unname(tab["records"])),
      events = u(unname(tab["events"])),
      restrictedMean = rmeans,
      # survivalAt probes: summary(fit, times = ...)$surv (extend = TRUE past the end)
      probes = {
        pt <- sort(unique(c(0, time, time + 0.5, max(time) + 100)))
        list(t = pt, surv = as.numeric(summary(fit, times = pt, extend = TRUE)$surv))
      }
    )
  )
}

subset_case <- function(name, ep, keep, taus) {
  km_case(name, ep$time[keep], ep$status[keep], taus = taus)
}

km_cases <- list(
  km_case("colon OS overall", colon_os$time, colon_os$status, taus = c(365, 1826, 3000, 5000)),
  subset_case("colon OS rx=Obs", colon_os, colon$patients$rx == "Obs", c(1826)),
  subset_case("colon OS rx=Lev", colon_os, colon$patients$rx == "Lev", c(1826)),
  subset_case("colon OS rx=Lev+5FU", colon_os, colon$patients$rx == "Lev+5FU", c(1826)),
  km_case("colon time to recurrence", colon_rec$time, colon_rec$status, taus = c(1826)),
  subset_case("mgus2 OS sex=female", mgus2_os, mgus2$patients$sex == "female", c(3653)),
  subset_case("mgus2 OS sex=male", mgus2_os, mgus2$patients$sex == "male", c(3653, 20000)),
  km_case("mgus2 OS overall conf 0.90", mgus2_os$time, mgus2_os$status, conf = 0.9, taus = c(3653)),
  km_case("all censored", c(5, 3, 8, 1), c(0, 0, 0, 0), taus = c(4, 8, 10)),
  km_case("single patient with event", c(7), c(1), taus = c(7, 10)),
  km_case("single patient censored", c(7), c(0), taus = c(10)),
  km_case("all events at the same time", c(4, 4, 4, 4, 4), c(1, 1, 1, 1, 1), taus = c(4, 6)),
  km_case("ties between events and censorings", c(2, 2, 2, 3, 3, 5, 5, 5, 8, 9),
          c(1, 0, 1, 0, 1, 1, 1, 0, 0, 1), taus = c(5, 9, 12)),
  km_case("median not reached", c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
          c(1, 0, 1, 0, 0, 0, 0, 0, 0, 0), taus = c(10, 15)),
  km_case("median on a flat at exactly 0.5", c(1, 2, 3, 4), c(1, 1, 1, 1), taus = c(2, 3.5)),
  km_case("curve ends at 0.5 then censored", c(1, 2, 5, 9), c(1, 1, 0, 0), taus = c(20)),
  km_case("unsorted input with fractional times", c(3.5, 0.25, 7, 1.75, 3.5, 2, 0, 9.5),
          c(1, 1, 0, 1, 0, 1, 0, 1), taus = c(0.1, 4, 9.5))
)
write_fixture("kaplan-meier", list(cases = km_cases))

# ---------------------------------------------------------------------------------------
# Log-rank: survdiff (rho = 0)
# ---------------------------------------------------------------------------------------

lr_case <- function(name, time, status, group) {
  g <- factor(group, levels = sort(unique(group)))
  sd <- survdiff(Surv(time, status) ~ g)
  df <- sum(sd$exp > 0) - 1
  list(
    name = u(name),
    input = list(time = as.numeric(time), status = as.integer(status), group = as.integer(group)),
    expected = list(
      chisq = u(sd$chisq), df = u(df), p = u(pchisq(sd$chisq, df, lower.tail = FALSE)),
      observed = as.numeric(sd$obs), expected = as.numeric(sd$exp)
    )
  )
}
lr_cases <- list(
  lr_case("colon OS by rx", colon_os$time, colon_os$status, colon_rx),
  lr_case("colon time to recurrence by rx", colon_rec$time, colon_rec$status, colon_rx),
  lr_case("mgus2 OS by sex", mgus2_os$time, mgus2_os$status, mgus2_sex),
  lr_case("a stratum with zero events", c(1, 2, 3, 4, 5, 6, 2, 4, 6, 8), c(1, 1, 0, 1, 1, 0, 0, 0, 0, 0),
          c(0, 0, 0, 0, 0, 0, 1, 1, 1, 1)),
  lr_case("ties across groups, three groups", c(2, 2, 3, 3, 3, 5, 5, 6, 7, 7, 8, 9),
          c(1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1), c(0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2))
)
write_fixture("log-rank", list(cases = lr_cases))

# ---------------------------------------------------------------------------------------
# Cumulative incidence: Aalen-Johansen, survfit(Surv(time, factor(cause)) ~ 1)
# ---------------------------------------------------------------------------------------

cif_case <- function(name, time, cause) {
  k <- max(cause)
  fs <- factor(cause, levels = 0:k)
  fit <- survfit(Surv(time, fs) ~ 1)
  ev_times <- sort(unique(time[cause > 0]))
  idx <- match(ev_times, fit$time)
  cols <- match(as.character(1:k), fit$states)
  list(
    name = u(name),
    input = list(time = as.numeric(time), cause = as.integer(cause)),
    expected = list(
      time = ev_times,
      causes = u(k),
      cif = lapply(cols, function(j) as.numeric(fit$pstate[idx, j])),
      stdErr = lapply(cols, function(j) as.numeric(fit$std.err[idx, j]))
    )
  )
}
mgus2_cause <- ifelse(mgus2_pcm$status == 1, 1L, ifelse(mgus2_os$status == 1, 2L, 0L))
mgus2_ctime <- ifelse(mgus2_pcm$status == 1, mgus2_pcm$time, mgus2_os$time)
colon_cause <- ifelse(colon_rec$status == 1, 1L, ifelse(colon_os$status == 1, 2L, 0L))
colon_ctime <- ifelse(colon_rec$status == 1, colon_rec$time, colon_os$time)
cif_cases <- list(
  cif_case("mgus2 PCM with death as competing risk", mgus2_ctime, mgus2_cause),
  cif_case("colon recurrence with death as competing risk", colon_ctime, colon_cause),
  cif_case("ties of causes and censorings", c(1, 2, 2, 2, 3, 4, 4, 5, 6, 6),
           c(1, 2, 1, 0, 0, 1, 2, 0, 2, 2)),
  cif_case("three causes, last at risk all fail", c(3, 1, 4, 2, 2, 5, 5), c(3, 1, 0, 2, 0, 1, 3))
)
write_fixture("cumulative-incidence", list(cases = cif_cases))

# ---------------------------------------------------------------------------------------
# Cox: coxph, Efron and Breslow ties; covariates as trajsim's coxDesign sees them
# ---------------------------------------------------------------------------------------

cox_case <- function(name, time, status, covariates, formula_rhs, data, ties) {
  data$time <- time
  data$status <- status
  fit <- coxph(as.formula(paste("Surv(time, status) ~", formula_rhs)), data = data, ties = ties)
  s <- summary(fit)
  co <- s$coefficients
  ci <- s$conf.int
  kept <- setdiff(seq_len(nrow(data)), as.integer(fit$na.action)) - 1L
  list(
    name = u(name),
    ties = u(ties),
    input = list(time = as.numeric(time), status = as.integer(status), covariates = covariates),
    expected = list(
      terms = lapply(seq_len(nrow(co)), function(i) list(
        term = u(rownames(co)[i]), coef = u(co[i, "coef"]), se = u(co[i, "se(coef)"]),
        hr = u(co[i, "exp(coef)"]), lower = u(ci[i, "lower .95"]), upper = u(ci[i, "upper .95"]),
        z = u(co[i, "z"]), p = u(co[i, "Pr(>|z|)"])
      )),
      loglik = as.numeric(fit$loglik),
      n = u(fit$n), events = u(fit$nevent), iterations = u(fit$iter), rows = kept
    )
  )
}
num_cov <- function(name, x) list(name = u(name), kind = u("numeric"), values = as.numeric(x))
cat_cov <- function(name, x, levels, reference = NULL) {
  r <- list(name = u(name), kind = u("categorical"), levels = levels, codes = codes0(x, levels))
  if (!is.null(reference)) r$reference <- u(reference)
  r
}

colon_df <- data.frame(
  rx = relevel(factor(colon$patients$rx, levels = colon_rx_levels), ref = "Obs"),
  sex = factor(colon$patients$sex, levels = colon_sex_levels),
  age = colon$patients$age,
  nodes = colon$patients$nodes
)
colon_covs <- list(
  cat_cov("rx", colon$patients$rx, colon_rx_levels, "Obs"),
  cat_cov("sex", colon$patients$sex, colon_sex_levels),
  num_cov("age", colon$patients$age),
  num_cov("nodes", colon$patients$nodes)
)
mgus2_df <- data.frame(
  age = mgus2$patients$age,
  sex = factor(mgus2$patients$sex, levels = mgus2_sex_levels),
  hgb = mgus2$patients$hgb
)
mgus2_covs <- list(
  num_cov("age", mgus2$patients$age),
  cat_cov("sex", mgus2$patients$sex, mgus2_sex_levels),
  num_cov("hgb", mgus2$patients$hgb)
)
small_df <- data.frame(
  x = c(0.5, 1.2, -0.3, 2.0, 0.0, 1.1, -1.0, 0.7, 1.5, -0.2),
  g = factor(c("b", "a", "b", "a", "c", "c", "a", "b", "c", "a"), levels = c("a", "b", "c"))
)
small_covs <- list(
  num_cov("x", small_df$x),
  cat_cov("g", as.character(small_df$g), c("a", "b", "c"))
)
small_time <- c(1, 1, 2, 2, 2, 3, 4, 4, 5, 6)
small_status <- c(1, 1, 1, 0, 1, 1, 1, 0, 1, 0)
cox_cases <- list()
for (ties in c("efron", "breslow")) {
  cox_cases[[length(cox_cases) + 1]] <- cox_case(
    "colon OS ~ rx + sex + age + nodes", colon_os$time, colon_os$status, colon_covs,
    "rx + sex + age + nodes", colon_df, ties)
  cox_cases[[length(cox_cases) + 1]] <- cox_case(
    "mgus2 OS ~ age + sex + hgb", mgus2_os$time, mgus2_os$status, mgus2_covs,
    "age + sex + hgb", mgus2_df, ties)
  cox_cases[[length(cox_cases) + 1]] <- cox_case(
    "small tied data ~ x + g", small_time, small_status, small_covs, "x + g", small_df, ties)
}
write_fixture("cox-ph", list(cases = cox_cases))

# ---------------------------------------------------------------------------------------
# Normal quantile, normal upper tail, chi-square upper tail
# ---------------------------------------------------------------------------------------

qp <- c(1e-300, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.3, 0.4, 0.5,
        0.6, 0.7, 0.8, 0.9, 0.925, 0.95, 0.975, 0.99, 0.999, 0.99999, 1 - 1e-10)
zs <- c(-10, -5, -3, -1.96, -1, -0.5, 0, 0.1, 0.5, 1, 1.644853627, 1.96, 2.5, 3, 5, 8, 10, 20, 37)
chi <- expand.grid(x = c(0, 1e-8, 0.001, 0.1, 0.5, 1, 2, 3.84, 5, 10, 20, 50, 100, 300),
                   df = c(1, 2, 3, 4, 5, 10, 30))
write_fixture("normal", list(
  qnorm = list(p = qp, value = qnorm(qp)),
  pnormUpper = list(z = zs, value = pnorm(zs, lower.tail = FALSE)),
  pchisqUpper = list(x = chi$x, df = chi$df, value = pchisq(chi$x, chi$df, lower.tail = FALSE))
))
