import { Command } from 'commander';
import { TrajsimError } from '../../core/errors.js';
import { formatNumber, toJsonText } from '../../core/format.js';
import { type CoxCovariate, coxDesign, coxPh } from '../../stats/cox-ph.js';
import { endpointTimes } from '../../stats/endpoints.js';
import { kaplanMeier } from '../../stats/kaplan-meier.js';
import { logRankTest } from '../../stats/log-rank.js';
import { restrictedMean } from '../../stats/restricted-mean.js';
import { readTimeline } from '../../timeline/read.js';
import type { Timeline } from '../../timeline/types.js';
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

/** Group ids per patient for `--by` (levels in dictionary order; missing excluded as -1). */
function groupsOf(t: Timeline, by: string | undefined): { names: string[]; ids: Int32Array } {
  const n = t.patients.ids.length;
  if (by === undefined) return { names: ['all'], ids: new Int32Array(n) };
  const attr = t.patients.attributes.find((a) => a.name === by);
  if (!attr) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `--by ${by}: no such attribute; attributes are ${t.patients.attributes.map((a) => a.name).join(', ')}`,
      { field: 'by' },
    );
  }
  if (attr.kind !== 'categorical') {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `--by ${by}: attribute is numeric; expected a categorical attribute`,
      {
        field: 'by',
      },
    );
  }
  return { names: [...attr.levels], ids: attr.codes };
}

function subset<T extends Float64Array | Uint8Array>(a: T, ids: Int32Array, g: number): T {
  let n = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] === g) n++;
  const out = a.slice(0, n) as T;
  for (let i = 0, k = 0; i < ids.length; i++) if (ids[i] === g) out[k++] = a[i]!;
  return out;
}

/** The `stats km` JSON: one KM curve per group, with median and RMST. */
export function kmGroups(t: Timeline, o: StatsOptions) {
  const { time, status } = endpointTimes(t, o.endpoint);
  const { names, ids } = groupsOf(t, o.by);
  const present = names
    .map((name, g) => ({ name, time: subset(time, ids, g), status: subset(status, ids, g) }))
    .filter((g) => g.time.length > 0);
  // Default τ: the smallest of the groups' largest follow-up times (a τ every group reaches).
  const tau =
    o.rmstTau ?? Math.min(...present.map((g) => g.time.reduce((m, v) => Math.max(m, v), 0)));
  return {
    groups: present.map((g) => {
      const km = kaplanMeier(g.time, g.status);
      return {
        group: g.name,
        time: Array.from(km.time),
        n_risk: Array.from(km.nRisk),
        n_event: Array.from(km.nEvent),
        surv: Array.from(km.surv),
        std_err: Array.from(km.stdErr),
        lower: Array.from(km.lower),
        upper: Array.from(km.upper),
        median: km.median,
        rmst: restrictedMean(km, tau),
      };
    }),
  };
}

/** The `stats logrank` JSON. */
export function logRankGroups(t: Timeline, o: StatsOptions) {
  if (o.by === undefined) {
    throw new TrajsimError('INVALID_ARGUMENT', 'stats logrank needs --by <attribute>', {
      field: 'by',
    });
  }
  const { time, status } = endpointTimes(t, o.endpoint);
  const { ids } = groupsOf(t, o.by);
  // Patients with a missing level (-1) are left out, as R drops NA strata.
  const keep: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i]! >= 0) keep.push(i);
  const test = logRankTest(
    keep.map((i) => time[i]!),
    keep.map((i) => status[i]!),
    keep.map((i) => ids[i]!),
  );
  return { chisq: test.chisq, df: test.df, p: test.p };
}

/** The `stats cox` JSON (categorical covariates as treatment contrasts, first level alphabetically the reference). */
export function coxModel(t: Timeline, o: StatsOptions) {
  const names = (o.covariates ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) {
    throw new TrajsimError('INVALID_ARGUMENT', 'stats cox needs --covariates a,b,c', {
      field: 'covariates',
    });
  }
  const references = new Map<string, string>();
  for (const pair of o.reference ?? []) {
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
  const covariates: CoxCovariate[] = names.map((name) => {
    const a = t.patients.attributes.find((x) => x.name === name);
    if (!a) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `--covariates: no attribute '${name}'; attributes are ${t.patients.attributes.map((x) => x.name).join(', ')}`,
        { field: 'covariates' },
      );
    }
    if (a.kind === 'numeric') return { name, kind: 'numeric', values: a.values };
    const reference = references.get(name);
    if (reference !== undefined && !a.levels.includes(reference)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `--reference ${name}=${reference}: no such level; levels are ${a.levels.join(', ')}`,
        { field: 'reference' },
      );
    }
    return {
      name,
      kind: 'categorical',
      levels: a.levels,
      codes: a.codes,
      ...(reference !== undefined ? { reference } : {}),
    };
  });
  const { time, status } = endpointTimes(t, o.endpoint);
  const design = coxDesign(covariates);
  const fit = coxPh(
    Float64Array.from(design.rows, (r) => time[r]!),
    Uint8Array.from(design.rows, (r) => status[r]!),
    design,
  );
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
  const add = (name: 'km' | 'logrank' | 'cox', description: string) =>
    new Command(name)
      .description(description)
      .argument('<dir>', 'timeline directory')
      .option(
        '--endpoint <code>',
        "'DEATH' (overall survival) or a code (time to its first occurrence)",
        'DEATH',
      )
      .option('--by <attribute>', 'a categorical attribute to stratify by')
      .option(
        '--rmst-tau <days>',
        'RMST truncation time (km; default: the smallest group maximum time)',
        nonNegativeNumber,
      )
      .option('--covariates <a,b,c>', 'attributes of the Cox model (cox)')
      .option(
        '--reference <attr=level>',
        'reference level of a categorical covariate (cox; repeatable; default: alphabetically first)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('--json', 'print JSON');
  const stats = new Command('stats').description(
    'Survival statistics of a timeline, matching R survival (survfit, survdiff, coxph).',
  );
  stats.addCommand(
    add('km', 'Kaplan–Meier curves (Greenwood, log CIs), medians and RMST, per --by group').action(
      async (dir: string, o: StatsOptions) => {
        const r = kmGroups(await readTimeline(dir), o);
        if (o.json) return context.out(toJson(r));
        for (const g of r.groups) {
          context.out(
            `${g.group}: n=${g.n_risk[0] ?? 0} events=${g.n_event.reduce((a, b) => a + b, 0)} median=${f(g.median)} RMST(${g.rmst.tau})=${f(g.rmst.value)} (se ${f(g.rmst.se)})`,
          );
        }
      },
    ),
  );
  stats.addCommand(
    add('logrank', 'Log-rank test across the levels of --by').action(
      async (dir: string, o: StatsOptions) => {
        const r = logRankGroups(await readTimeline(dir), o);
        context.out(o.json ? toJson(r) : `chisq=${f(r.chisq)} df=${r.df} p=${f(r.p)}`);
      },
    ),
  );
  stats.addCommand(
    add('cox', 'Cox proportional hazards (Efron ties) on --covariates').action(
      async (dir: string, o: StatsOptions) => {
        const r = coxModel(await readTimeline(dir), o);
        if (o.json) return context.out(toJson(r));
        context.out(`n=${r.n} events=${r.events} loglik=${f(r.loglik[0])} -> ${f(r.loglik[1])}`);
        for (const t of r.terms) {
          context.out(
            `${t.term.padEnd(24)} coef ${f(t.coef).padStart(9)} se ${f(t.se).padStart(8)} HR ${f(t.hr).padStart(8)} [${f(t.lower)}, ${f(t.upper)}] p ${f(t.p)}`,
          );
        }
      },
    ),
  );
  program.addCommand(stats);
};
