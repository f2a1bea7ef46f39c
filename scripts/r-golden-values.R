# Golden fixture for the counting-process Cox model of event values (src/stats/cox-ph.ts with
# `entry`, src/validate/value-summary.ts): R's `survival` package, written to
# test/fixtures/r/cox-counting.json.
#
# Three kinds of case:
#   - "direct": hand-made (tstart, tstop, event, x) rows with tied event times and entries that
#     equal other rows' event times, fitted as coxph(Surv(tstart, tstop, event) ~ x1 + x2);
#   - "tiny timeline": a hand-made set of patients (terminal day and status) and measurements
#     (patient, day, value), turned into intervals with tmerge(..., v = tdc(day, value)); the
#     fixture carries tmerge's rows so the TypeScript interval builder is checked row by row;
#   - nafld: the first 2,000 rows of data/nafld/patients.csv, the most recent LAB:<code> value
#     as a time-dependent covariate of DEATH, built with tmerge and fitted with
#     coxph(Surv(tstart, tstop, death) ~ v) (Efron ties); rows and events are recorded.
#
# Run from the repository root:  Rscript scripts/r-golden-values.R
# Needs: r-base-core, r-cran-survival, r-cran-jsonlite (Debian/Ubuntu packages).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

out_dir <- file.path("test", "fixtures", "r")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
u <- unbox

fit_summary <- function(fit) {
  s <- summary(fit)$coefficients
  list(
    terms = lapply(seq_len(nrow(s)), function(i) list(
      term = u(rownames(s)[i]), coef = u(s[i, "coef"]), se = u(s[i, "se(coef)"]),
      z = u(s[i, "z"]), p = u(s[i, "Pr(>|z|)"])
    )),
    loglik = fit$loglik,
    n = u(fit$n),
    events = u(fit$nevent),
    iterations = u(fit$iter)
  )
}

# --- direct counting-process rows -------------------------------------------------------
direct <- data.frame(
  tstart = c(0, 0, 2, 0, 3, 1, 0, 2, 5, 0, 4, 0, 3, 6, 0, 1),
  tstop = c(2, 5, 6, 3, 7, 4, 2, 5, 9, 4, 8, 3, 6, 10, 6, 7),
  event = c(0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0),
  x1 = c(1.2, 0.4, -0.3, 2.1, 0.8, -1.0, 0.0, 1.5, 0.3, -0.6, 1.1, 0.9, -0.2, 0.5, 1.7, -1.3),
  x2 = c(0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0)
)
direct_cases <- list()
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(tstart, tstop, event) ~ x1 + x2, data = direct, ties = ties)
  direct_cases[[length(direct_cases) + 1]] <- c(
    list(name = u(paste("direct", ties)), ties = u(ties), input = direct),
    fit_summary(fit)
  )
}
fit1 <- coxph(Surv(tstart, tstop, event) ~ x1, data = direct)
direct_cases[[length(direct_cases) + 1]] <- c(
  list(name = u("direct efron x1 only"), ties = u("efron"), input = direct[, c("tstart", "tstop", "event", "x1")]),
  fit_summary(fit1)
)

# --- tmerge on a tiny timeline ----------------------------------------------------------
# Day-0 measurement, a measurement on the terminal day (ignored), a same-day repeat with the
# same value, a patient without measurements, deaths tied on one day.
tiny_patients <- data.frame(
  id = 1:8,
  futime = c(100, 80, 120, 60, 80, 150, 90, 40),
  status = c(1, 1, 0, 1, 0, 1, 1, 0)
)
tiny_labs <- data.frame(
  id = c(1, 1, 1, 2, 2, 3, 3, 3, 5, 5, 6, 6, 6, 7, 7, 8),
  day = c(0, 30, 70, 10, 80, 5, 5, 60, 20, 50, 0, 40, 100, 30, 60, 10),
  value = c(5.0, 6.5, 8.0, 7.2, 9.9, 4.1, 4.1, 3.8, 5.5, 6.0, 4.4, 5.1, 7.7, 6.3, 8.8, 2.0)
)
tmerge_rows <- function(patients, labs) {
  base <- tmerge(patients, patients, id = id,
                 death = event(futime, status))
  td <- tmerge(base, labs, id = id, v = tdc(day, value))
  td <- td[!is.na(td$v), ]
  td[order(td$id, td$tstart), c("id", "tstart", "tstop", "death", "v")]
}
tiny_rows <- tmerge_rows(tiny_patients, tiny_labs)
tiny_fit <- coxph(Surv(tstart, tstop, death) ~ v, data = tiny_rows)
tiny_case <- c(
  list(name = u("tiny timeline"), patients = tiny_patients, labs = tiny_labs,
       rows = tiny_rows),
  fit_summary(tiny_fit)
)

# --- nafld subset -----------------------------------------------------------------------
patients <- read.csv(file.path("data", "nafld", "patients.csv"), stringsAsFactors = FALSE)
events <- read.csv(file.path("data", "nafld", "events.csv"), stringsAsFactors = FALSE)
subset_ids <- patients$patient_id[1:2000]
events <- events[events$patient_id %in% subset_ids, ]
term <- events[events$code %in% c("DEATH", "END_OF_FOLLOWUP"), ]
nafld_patients <- data.frame(
  id = term$patient_id, futime = term$day, status = as.integer(term$code == "DEATH")
)
nafld_cases <- list()
for (code in c("LAB:hdl", "LAB:sbp", "LAB:fib4")) {
  labs <- events[events$code == code & !is.na(events$value), ]
  labs <- data.frame(id = labs$patient_id, day = labs$day, value = labs$value)
  rows <- tmerge_rows(nafld_patients, labs)
  fit <- coxph(Surv(tstart, tstop, death) ~ v, data = rows)
  nafld_cases[[length(nafld_cases) + 1]] <- c(
    list(code = u(code), patientsWithRows = u(length(unique(rows$id))),
         exposureDays = u(sum(rows$tstop - rows$tstart))),
    fit_summary(fit)
  )
}

fixture <- list(
  meta = list(
    rVersion = u(R.version.string),
    survivalVersion = u(as.character(packageVersion("survival"))),
    script = u("scripts/r-golden-values.R")
  ),
  direct = direct_cases,
  tiny = tiny_case,
  nafld = list(subset = u("first 2000 rows of data/nafld/patients.csv"), cases = nafld_cases)
)
path <- file.path(out_dir, "cox-counting.json")
writeLines(toJSON(fixture, digits = NA, na = "string", pretty = FALSE, dataframe = "columns"), path)
cat("wrote", path, "\n")
