# Golden fixture for the twin evaluation statistics (src/stats/concordance-index.ts,
# brier-score.ts, calibration-curve.ts, landmark-cox.ts): R's `survival` on a landmark
# data set from data/colon and data/mgus2, plus a small inline case with ties.
# Written to test/fixtures/r/twins-evaluation.json, inputs next to outputs.
#
# Run from the repository root:  Rscript scripts/r-golden-twins.R
# Needs: r-base-core, r-cran-survival, r-cran-jsonlite (Debian/Ubuntu packages).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
u <- unbox

read_timeline <- function(dir) {
  list(
    patients = read.csv(file.path("data", dir, "patients.csv"), stringsAsFactors = FALSE),
    events = read.csv(file.path("data", dir, "events.csv"), stringsAsFactors = FALSE)
  )
}

# Landmark overall survival: patients whose terminal day > landmark; time = day - landmark.
landmark_os <- function(tl, landmark) {
  term <- tl$events[tl$events$code %in% c("DEATH", "END_OF_FOLLOWUP"), ]
  i <- match(tl$patients$patient_id, term$patient_id)
  day <- as.numeric(term$day[i])
  keep <- day > landmark
  list(
    patients = tl$patients[keep, ],
    time = day[keep] - landmark,
    status = as.integer(term$code[i][keep] == "DEATH")
  )
}

# Concordance as survival::concordance(Surv ~ risk, reverse = TRUE).
conc <- function(time, status, risk, timewt, ymax = NULL) {
  f <- concordance(Surv(time, status) ~ risk, reverse = TRUE, timewt = timewt, ymax = ymax)
  list(
    weighting = u(if (timewt == "n") "harrell" else "uno"),
    tau = u(if (is.null(ymax)) "Inf" else ymax),
    concordance = u(unname(f$concordance)),
    concordant = u(unname(f$count["concordant"])),
    discordant = u(unname(f$count["discordant"])),
    tiedRisk = u(unname(f$count["tied.x"]))
  )
}

# Graf's IPCW Brier score, G = survfit on the censoring distribution.
brier <- function(time, status, surv_t, t) {
  g <- survfit(Surv(time, 1 - status) ~ 1)
  G_at <- function(x) summary(g, times = x, extend = TRUE)$surv
  G_left <- function(x) {
    k <- which(g$time < x)
    if (length(k) == 0) 1 else g$surv[max(k)]
  }
  died <- time <= t & status == 1
  alive <- time > t
  w_died <- vapply(time[died], G_left, numeric(1))
  (sum(surv_t[died]^2 / w_died) + sum((1 - surv_t[alive])^2) / G_at(t)) / length(time)
}

# Decile calibration: group = ceiling(rank(risk, ties = "first") * groups / n); KM per group.
calibration <- function(time, status, risk, t, groups = 10) {
  n <- length(time)
  g <- ceiling(rank(risk, ties.method = "first") * groups / n)
  rows <- lapply(seq_len(groups), function(k) {
    sel <- g == k
    fit <- survfit(Surv(time[sel], status[sel]) ~ 1)
    list(
      n = u(sum(sel)),
      events = u(sum(status[sel] == 1 & time[sel] <= t)),
      predicted = u(mean(risk[sel])),
      observed = u(1 - summary(fit, times = t, extend = TRUE)$surv)
    )
  })
  p <- vapply(rows, function(r) as.numeric(r$predicted), numeric(1))
  o <- vapply(rows, function(r) as.numeric(r$observed), numeric(1))
  w <- vapply(rows, function(r) as.numeric(r$n), numeric(1))
  line <- lm(o ~ p, weights = w)
  list(t = u(t), groups = rows, slope = u(unname(coef(line)[2])), intercept = u(unname(coef(line)[1])))
}

# One case: time, status, a risk score, and predicted survival exp(-exp(z) h / 3000) at each
# horizon h (z the standardised score; stored with the inputs).
eval_case <- function(name, time, status, risk, horizons, taus) {
  z <- (risk - mean(risk)) / sd(risk)
  surv <- lapply(horizons, function(h) exp(-exp(z) * h / 3000))
  list(
    name = u(name),
    input = list(time = time, status = status, risk = risk, horizons = horizons, survival = surv),
    expected = list(
      concordance = c(
        lapply(c(list(NULL), as.list(taus)), function(tau) conc(time, status, risk, "n", tau)),
        lapply(c(list(NULL), as.list(taus)), function(tau) conc(time, status, risk, "n/G2", tau))
      ),
      brier = mapply(function(h, s) brier(time, status, s, h), horizons, surv),
      calibration = lapply(seq_along(horizons), function(k) {
        calibration(time, status, 1 - surv[[k]], horizons[k])
      })
    )
  )
}

# Breslow baseline hazard and predicted risk 1 - exp(-H0(t) exp(lp)) of a Breslow-ties fit.
cox_case <- function(name, time, status, x, horizons) {
  fit <- coxph(Surv(time, status) ~ x, ties = "breslow")
  bh <- basehaz(fit, centered = TRUE)
  H0 <- function(t) {
    k <- which(bh$time <= t)
    if (length(k) == 0) 0 else bh$hazard[max(k)]
  }
  lp <- predict(fit, type = "lp")
  list(
    name = u(name),
    input = list(time = time, status = status, columns = lapply(seq_len(ncol(x)), function(j) x[, j]),
                 horizons = horizons),
    expected = list(
      coef = unname(coef(fit)),
      risk = lapply(horizons, function(h) 1 - exp(-H0(h) * exp(lp)))
    )
  )
}

colon <- landmark_os(read_timeline("colon"), 365)
mgus2 <- landmark_os(read_timeline("mgus2"), 365)
colon_nodes <- ifelse(is.na(colon$patients$nodes), 0, colon$patients$nodes)
colon_x <- cbind(colon$patients$age / 10, colon_nodes, as.integer(colon$patients$sex == "male"))
colon_lp <- predict(coxph(Surv(colon$time, colon$status) ~ colon_x), type = "lp")
mgus2_x <- cbind(mgus2$patients$age / 10, as.integer(mgus2$patients$sex == "male"))
mgus2_ok <- stats::complete.cases(mgus2_x)

toy_time <- c(1, 2, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9)
toy_status <- c(1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1)
toy_risk <- c(5, 3, 4, 3, 2, 6, 1, 2, 2, 0, 1, 3)

cases <- list(
  eval_case("toy with ties", toy_time, toy_status, toy_risk, c(3, 6), c(6)),
  eval_case("colon OS from day 365, Cox lp", colon$time, colon$status, unname(colon_lp),
            c(365, 730, 1825), c(730, 1825)),
  eval_case("colon OS from day 365, nodes (ties)", colon$time, colon$status, colon_nodes,
            c(365, 1825), c(1825)),
  eval_case("mgus2 OS from day 365, age (ties)", mgus2$time, mgus2$status,
            as.numeric(mgus2$patients$age), c(365, 730, 1825), c(1825))
)
cox_cases <- list(
  cox_case("colon landmark 365: age/10, nodes, male", colon$time, colon$status, colon_x,
           c(365, 730, 1825)),
  cox_case("mgus2 landmark 365: age/10, male", mgus2$time[mgus2_ok], mgus2$status[mgus2_ok],
           mgus2_x[mgus2_ok, , drop = FALSE], c(365, 730, 1825))
)

meta <- list(
  rVersion = u(R.version.string),
  survivalVersion = u(as.character(packageVersion("survival"))),
  script = u("scripts/r-golden-twins.R")
)
path <- file.path("test", "fixtures", "r", "twins-evaluation.json")
writeLines(toJSON(list(meta = meta, cases = cases, coxCases = cox_cases), digits = NA,
                  na = "string", pretty = FALSE), path)
cat("wrote", path, "\n")
