import { Command } from 'commander';
import { TrajsimError } from '../../core/errors.js';
import { formatNumber, toJsonText } from '../../core/format.js';
import { MESSAGES, rmstTauBeyondFollowUp } from '../../core/messages.js';
import {
  coxByAttributes,
  kmByGroup,
  logRankByAttribute,
  MAX_NUMERIC_STRATA,
} from '../../stats/stratified.js';
import { readTimeline } from '../../timeline/read.js';
import type { RegisterCommand } from '../context.js';
import { nonNegativeNumber } from '../options.js';

interface StatsOptions {
  endpoint: string;
  by?: string;
  rmstTau?: number;
  covariates?: string;
  /** `attr=level` pairs: the reference level of a categorical covariate (cox). */
  reference?: string[];
  json?: boolean;
}

/** JSON with NaN as null (R's NA). */
function toJson(value: unknown): string {
  return toJsonText(value, { typedArrays: true });
}

/** The `stats km` JSON: one KM curve per group, with median and RMST (survfit's column names). */
function kmJson(r: ReturnType<typeof kmByGroup>) {
  return {
    groups: r.groups.map(({ group, km, rmst }) => ({
      group,
      time: Array.from(km.time),
      n_risk: Array.from(km.nRisk),
      n_event: Array.from(km.nEvent),
      surv: Array.from(km.surv),
      std_err: Array.from(km.stdErr),
      lower: Array.from(km.lower),
      upper: Array.from(km.upper),
      median: km.median,
      rmst,
    })),
  };
}

/** The `stats cox` JSON: coxph's summary columns per term. */
function coxJson({ fit }: ReturnType<typeof coxByAttributes>) {
  return {
    terms: fit.terms.map(({ term, coef, se, hr, lower, upper, p }) => ({
      term,
      coef,
      se,
      hr,
      lower,
      upper,
      p,
    })),
    loglik: fit.loglik,
    n: fit.n,
    events: fit.events,
  };
}

/** `attr=level` pairs of `--reference` as a map. */
function referenceMap(pairs: readonly string[]): Map<string, string> {
  const references = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `--reference '${pair}': expected attribute=level`,
        {
          field: 'reference',
        },
      );
    }
    references.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return references;
}

/** Comma-separated names of `--covariates`. */
function covariateList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const f = (v: number | null): string =>
  formatNumber(v, {
    missing: 'NA',
    nonFinite: 'NA',
    integers: 'digits',
    fixedFrom: 1000,
    digits: 4,
  });

/** `trajsim stats`: survival statistics of one timeline (KM, log-rank, Cox). */
export const registerStats: RegisterCommand = (program, context) => {
  const base = (name: 'km' | 'logrank' | 'cox', description: string) =>
    new Command(name)
      .description(description)
      .argument('<dir>', 'timeline directory')
      .option(
        '--endpoint <code>',
        "'DEATH' (overall survival) or a code (time to its first occurrence)",
        'DEATH',
      );
  const byHelp = `an attribute to stratify by: categorical, or numeric with at most ${MAX_NUMERIC_STRATA} distinct values`;
  const stats = new Command('stats').description(
    'Survival statistics of a timeline, matching R survival (survfit, survdiff, coxph).',
  );
  stats.addCommand(
    base('km', 'Kaplan–Meier curves (Greenwood, log CIs), medians and RMST, per --by group')
      .option('--by <attribute>', byHelp)
      .option(
        '--rmst-tau <days>',
        'RMST truncation time (default: the smallest group maximum time)',
        nonNegativeNumber,
      )
      .option('--json', 'print JSON')
      .action(async (dir: string, o: StatsOptions) => {
        const r = kmByGroup(await readTimeline(dir), {
          endpoint: o.endpoint,
          by: o.by,
          rmstTauDays: o.rmstTau,
        });
        if (r.tauBeyondFollowUp.length > 0) {
          context.logger.warn(
            MESSAGES.RMST_TAU_BEYOND_FOLLOWUP,
            rmstTauBeyondFollowUp(r.tauDays, r.tauBeyondFollowUp),
          );
        }
        if (o.json) return context.out(toJson(kmJson(r)));
        for (const { group, n, km, rmst } of r.groups) {
          const events = km.nEvent.reduce((a, b) => a + b, 0);
          context.out(
            `${group}: n=${n} events=${events} median=${f(km.median)} RMST(${rmst.tau})=${f(rmst.value)} (se ${f(rmst.se)})`,
          );
        }
      }),
  );
  stats.addCommand(
    base('logrank', 'Log-rank test across the levels of --by')
      .requiredOption('--by <attribute>', byHelp)
      .option('--json', 'print JSON')
      .action(async (dir: string, o: StatsOptions & { by: string }) => {
        const r = logRankByAttribute(await readTimeline(dir), { endpoint: o.endpoint, by: o.by });
        context.out(
          o.json
            ? toJson({ chisq: r.chisq, df: r.df, p: r.p })
            : `chisq=${f(r.chisq)} df=${r.df} p=${f(r.p)}`,
        );
      }),
  );
  stats.addCommand(
    base('cox', 'Cox proportional hazards (Efron ties) on --covariates')
      .requiredOption('--covariates <a,b,c>', 'attributes of the model')
      .option(
        '--reference <attr=level>',
        'reference level of a categorical covariate (repeatable; default: its first level in code-unit order)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('--json', 'print JSON')
      .action(async (dir: string, o: StatsOptions) => {
        const r = coxByAttributes(await readTimeline(dir), {
          endpoint: o.endpoint,
          covariates: covariateList(o.covariates),
          references: referenceMap(o.reference ?? []),
        });
        if (o.json) return context.out(toJson(coxJson(r)));
        const { fit } = r;
        context.out(
          `n=${fit.n} events=${fit.events} loglik=${f(fit.loglik[0])} -> ${f(fit.loglik[1])}`,
        );
        if (r.references.length > 0) {
          context.out(
            `reference levels: ${r.references.map((x) => `${x.covariate}=${x.level}`).join(', ')}`,
          );
        }
        for (const t of fit.terms) {
          context.out(
            `${t.term.padEnd(24)} coef ${f(t.coef).padStart(9)} se ${f(t.se).padStart(8)} HR ${f(t.hr).padStart(8)} [${f(t.lower)}, ${f(t.upper)}] p ${f(t.p)}`,
          );
        }
      }),
  );
  program.addCommand(stats);
};
