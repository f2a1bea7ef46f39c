// Over 400 lines on purpose: mineRules and its miners (one short function per rule kind) share
// one tabulation of the timeline (Mining) and the redundancy checks between kinds.
import { TrajsimError } from '../core/errors.js';
import { lowerBound, upperBound } from '../core/sorted-search.js';
import { isTerminalCode, type Timeline } from '../timeline/types.js';
import {
  type MiningCriteria,
  RULES_FORMAT_VERSION,
  type Rule,
  type RuleSet,
  ruleId,
} from './rule-schema.js';

/** Options of {@link mineRules}. */
export interface MineRulesOptions {
  /** A rule is kept only when at least this many patients could have broken it (default 30). */
  readonly minAtRisk?: number;
  /**
   * Association rules (exclusive pairs, attribute ↔ code) are kept only when, were codes and
   * attributes independent, at least this many exceptions would be expected (default 5: the
   * chance of seeing none by luck is about e^-5 < 1%).
   */
  readonly minExpectedByChance?: number;
  /** Share of the patients at risk allowed to break a rule (default 0: none). */
  readonly tolerance?: number;
  /** Recorded as the source's content hash (timeline.json's contentHash). */
  readonly contentHash?: string;
}

/**
 * A "never after day X" bound needs this many times `min_expected_by_chance`: the last
 * occurrences before any maximum always predict a few more, even under a fading rate.
 */
export const DAY_BOUND_FACTOR = 2;

/** The default mining criteria (documented in docs/model.md, "Plausibility rules"). */
export const DEFAULT_MINING_CRITERIA: MiningCriteria = {
  min_at_risk: 30,
  min_expected_by_chance: 5,
  tolerance: 0,
};

interface Item {
  readonly pattern: string;
  readonly member: Uint8Array;
  readonly codes: readonly number[];
}

/** Non-terminal codes, then code families (a prefix before ':' shared by 2+ codes). */
function itemsOf(codes: readonly string[]): Item[] {
  const V = codes.length;
  const items: Item[] = [];
  const add = (pattern: string, members: number[]) => {
    const member = new Uint8Array(V);
    for (const c of members) member[c] = 1;
    items.push({ pattern, member, codes: members });
  };
  const plain = codes.flatMap((c, i) => (isTerminalCode(c) ? [] : [i]));
  for (const c of [...plain].sort((a, b) => (codes[a]! < codes[b]! ? -1 : 1))) add(codes[c]!, [c]);
  const families = new Map<string, number[]>();
  for (const c of plain) {
    const at = codes[c]!.indexOf(':');
    if (at <= 0) continue;
    const prefix = codes[c]!.slice(0, at + 1);
    families.set(prefix, [...(families.get(prefix) ?? []), c]);
  }
  for (const prefix of [...families.keys()].sort()) {
    const members = families.get(prefix)!;
    if (members.length >= 2) add(`${prefix}*`, members);
  }
  return items;
}

const KIND_ORDER: readonly Rule['kind'][] = [
  'required',
  'first',
  'day_range',
  'max_count',
  'precedence',
  'exclusive',
  'code_requires_level',
  'level_requires_code',
];

/** The mining criteria of the options, with defaults; throws INVALID_ARGUMENT. */
function miningCriteria(options: MineRulesOptions): MiningCriteria {
  const criteria: MiningCriteria = {
    min_at_risk: options.minAtRisk ?? DEFAULT_MINING_CRITERIA.min_at_risk,
    min_expected_by_chance:
      options.minExpectedByChance ?? DEFAULT_MINING_CRITERIA.min_expected_by_chance,
    tolerance: options.tolerance ?? DEFAULT_MINING_CRITERIA.tolerance,
  };
  if (!(Number.isInteger(criteria.min_at_risk) && criteria.min_at_risk >= 1)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `minAtRisk is ${criteria.min_at_risk}; expected an integer >= 1`,
    );
  }
  if (!(criteria.tolerance >= 0 && criteria.tolerance < 1)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `tolerance is ${criteria.tolerance}; expected a share in [0, 1)`,
    );
  }
  return criteria;
}

/** A timeline tabulated for mining: per patient × item counts and first positions, day ranges. */
interface Mining {
  readonly timeline: Timeline;
  readonly criteria: MiningCriteria;
  readonly items: Item[];
  /** Number of items. */
  readonly I: number;
  /** Number of patients. */
  readonly P: number;
  /** Occurrences per patient × item. */
  readonly count: Int32Array;
  /** Position of the first occurrence per patient × item (-1 none). */
  readonly firstPos: Int32Array;
  /** Last day of each patient. */
  readonly followUp: Int32Array;
  readonly minDay: Float64Array;
  readonly maxDay: Float64Array;
  /** Patients with each item. */
  readonly withItem: number[];
  readonly offsets: Timeline['offsets'];
  readonly code: Timeline['events']['code'];
  readonly day: Timeline['events']['day'];
  /** Exceptions the tolerance allows among `atRisk` patients. */
  readonly allowed: (atRisk: number) => number;
  /** Whether a rule with these patients at risk and exceptions meets the criteria. */
  readonly enough: (atRisk: number, exceptions: number) => boolean;
  readonly support: (atRisk: number, exceptions: number, expected?: number) => Rule['support'];
  readonly mined: { readonly severity: 'hard'; readonly origin: 'mined' };
  /** The rules found so far, in the order they are mined. */
  readonly rules: Rule[];
}

/** Tabulates the timeline for mining (one pass over the events). */
function tabulate(timeline: Timeline, criteria: MiningCriteria): Mining {
  const { codes } = timeline.events;
  const P = timeline.patients.ids.length;
  const items = itemsOf(codes);
  const I = items.length;
  const itemsOfCode = codes.map((_, c) => items.flatMap((it, k) => (it.member[c] ? [k] : [])));
  // Per patient × item: occurrences and position of the first one (-1 none).
  const count = new Int32Array(P * I);
  const firstPos = new Int32Array(P * I).fill(-1);
  const followUp = new Int32Array(P);
  const minDay = new Float64Array(I).fill(Number.POSITIVE_INFINITY);
  const maxDay = new Float64Array(I).fill(Number.NEGATIVE_INFINITY);
  const { offsets } = timeline;
  const { code, day } = timeline.events;
  for (let p = 0; p < P; p++) {
    const from = offsets[p]!;
    const to = offsets[p + 1]!;
    followUp[p] = to > from ? day[to - 1]! : 0;
    for (let e = from; e < to; e++) {
      const d = day[e]!;
      for (const k of itemsOfCode[code[e]!]!) {
        const at = p * I + k;
        if (count[at] === 0) firstPos[at] = e - from;
        count[at]!++;
        if (d < minDay[k]!) minDay[k] = d;
        if (d > maxDay[k]!) maxDay[k] = d;
      }
    }
  }
  const allowed = (atRisk: number) => Math.floor(criteria.tolerance * atRisk);
  const enough = (atRisk: number, exceptions: number) =>
    atRisk >= criteria.min_at_risk && exceptions <= allowed(atRisk);
  const withItem = items.map((_, k) => {
    let n = 0;
    for (let p = 0; p < P; p++) if (count[p * I + k]! > 0) n++;
    return n;
  });
  const support = (atRisk: number, exceptions: number, expected?: number) => ({
    patients: P,
    at_risk: atRisk,
    exceptions,
    ...(expected !== undefined ? { expected_by_chance: Math.round(expected * 100) / 100 } : {}),
  });
  const mined = { severity: 'hard' as const, origin: 'mined' as const };
  const rules: Rule[] = [];
  return {
    timeline,
    criteria,
    items,
    I,
    P,
    count,
    firstPos,
    followUp,
    minDay,
    maxDay,
    withItem,
    offsets,
    code,
    day,
    allowed,
    enough,
    support,
    mined,
    rules,
  };
}

/** Rules `required`: items (nearly) every patient has; returns their indices. */
function mineRequired(m: Mining): Set<number> {
  const { items, P, withItem, enough, support, mined, rules } = m;
  // required
  const required = new Set<number>();
  items.forEach((it, k) => {
    const exceptions = P - withItem[k]!;
    if (enough(P, exceptions)) {
      required.add(k);
      rules.push({ kind: 'required', code: it.pattern, ...mined, support: support(P, exceptions) });
    }
  });
  return required;
}

/** Rules `first`: items that (nearly) always come first; returns their indices. */
function mineFirst(m: Mining): Set<number> {
  const { items, I, P, firstPos, withItem, enough, support, mined, rules } = m;
  // first
  const first = new Set<number>();
  items.forEach((it, k) => {
    let exceptions = 0;
    for (let p = 0; p < P; p++) if (firstPos[p * I + k]! > 0) exceptions++;
    if (enough(withItem[k]!, exceptions)) {
      first.add(k);
      rules.push({
        kind: 'first',
        code: it.pattern,
        ...mined,
        support: support(withItem[k]!, exceptions),
      });
    }
  });
  return first;
}

/** Rules `day_range`: one fixed day, or never after the last day seen (at a cliff). */
function mineDayRanges(m: Mining): void {
  const {
    criteria,
    items,
    P,
    followUp,
    minDay,
    maxDay,
    withItem,
    offsets,
    code,
    day,
    enough,
    support,
    mined,
    rules,
  } = m;
  // day ranges: one fixed day, or never after the last day seen
  items.forEach((it, k) => {
    if (withItem[k] === 0) return;
    if (minDay[k] === maxDay[k]) {
      if (enough(withItem[k]!, 0)) {
        rules.push({
          kind: 'day_range',
          code: it.pattern,
          min_day: minDay[k]!,
          max_day: maxDay[k]!,
          ...mined,
          support: support(withItem[k]!, 0),
        });
      }
      return;
    }
    // "never after day X" only at a cliff: the occurrences in the window (X − w, X] would,
    // at the same rate per patient-day followed, give >= minExpected in (X, X + w].
    const X = maxDay[k]!;
    const w = Math.max(7, Math.ceil(X / 10));
    let recent = 0;
    for (let p = 0; p < P; p++) {
      for (let e = offsets[p]!; e < offsets[p + 1]!; e++) {
        if (it.member[code[e]!] && day[e]! > X - w && day[e]! <= X) recent++;
      }
    }
    let beyond = 0;
    let daysBefore = 0;
    let daysAfter = 0;
    for (let p = 0; p < P; p++) {
      const f = followUp[p]!;
      if (f > X) beyond++;
      daysBefore += Math.max(0, Math.min(f, X) - Math.max(0, X - w));
      daysAfter += Math.max(0, Math.min(f, X + w) - X);
    }
    const expected = daysBefore > 0 ? (recent * daysAfter) / daysBefore : 0;
    if (enough(beyond, 0) && expected >= DAY_BOUND_FACTOR * criteria.min_expected_by_chance) {
      rules.push({
        kind: 'day_range',
        code: it.pattern,
        min_day: 0,
        max_day: X,
        ...mined,
        support: support(beyond, 0, expected),
      });
    }
  });
}

/**
 * Among `P` patients, how many have item `k` at least `bound` times (`reached`) and more than
 * `bound` times (`over`); `count` is the patient × item count matrix, row-major, `I` items.
 */
function reachedAndOver(
  count: ArrayLike<number>,
  I: number,
  P: number,
  k: number,
  bound: number,
): { reached: number; over: number } {
  let reached = 0;
  let over = 0;
  for (let p = 0; p < P; p++) {
    const n = count[p * I + k]!;
    if (n >= bound) reached++;
    if (n > bound) over++;
  }
  return { reached, over };
}

/** Each item's max count (tolerance allowing) and its `max_count` rule unless a family implies it. */
function mineMaxCounts(m: Mining): Map<number, number> {
  const { criteria, items, I, P, count, allowed, support, mined, rules } = m;
  // max counts (a code's is dropped when a family it belongs to has one as low)
  const maxOf = new Map<number, number>();
  items.forEach((_, k) => {
    let m = 0;
    for (let p = 0; p < P; p++) m = Math.max(m, count[p * I + k]!);
    if (m === 0) return;
    // smallest bound m' whose exceptions (count > m') the tolerance allows among those reaching m'
    for (let bound = 1; bound <= m; bound++) {
      const { reached, over } = reachedAndOver(count, I, P, k, bound);
      if (over <= allowed(reached)) {
        if (reached >= criteria.min_at_risk) maxOf.set(k, bound);
        break;
      }
    }
  });
  items.forEach((it, k) => {
    const m = maxOf.get(k);
    if (m === undefined) return;
    const implied = items.some(
      (f, j) => j !== k && it.codes.every((c) => f.member[c]) && (maxOf.get(j) ?? Infinity) <= m,
    );
    if (implied) return;
    const { reached, over } = reachedAndOver(count, I, P, k, m);
    rules.push({
      kind: 'max_count',
      code: it.pattern,
      max: m,
      ...mined,
      support: support(reached, over),
    });
  });
  return maxOf;
}

/** Rules `precedence` A → B, without the transitive ones. */
function minePrecedence(m: Mining, required: Set<number>, first: Set<number>): void {
  const { criteria, items, I, P, firstPos, withItem, offsets, day, enough, support, mined, rules } =
    m;
  // precedence A → B: B never before the first A; kept when, had B's first day been drawn
  // independently of A's (from B's own first days), >= minExpected exceptions were expected
  const firstDay = (p: number, k: number) => {
    const pos = firstPos[p * I + k]!;
    return pos < 0 ? Number.POSITIVE_INFINITY : day[offsets[p]! + pos]!;
  };
  const subset = (a: number, b: number) => items[a]!.codes.every((c) => items[b]!.member[c]);
  const before = new Map<
    string,
    { a: number; b: number; atRisk: number; exceptions: number; expected: number }
  >();
  for (let b = 0; b < I; b++) {
    if (first.has(b) || withItem[b] === 0) continue;
    const days: number[] = [];
    for (let p = 0; p < P; p++) if (firstPos[p * I + b]! >= 0) days.push(firstDay(p, b));
    days.sort((x, y) => x - y);
    // share of B's first days < d, plus half of those == d
    const cdf = (d: number) => {
      const lo = lowerBound(days, d);
      return (lo + (upperBound(days, d) - lo) / 2) / days.length;
    };
    for (let a = 0; a < I; a++) {
      if (a === b || subset(a, b)) continue;
      if (required.has(a) && first.has(a)) continue; // everything follows it anyway
      let exceptions = 0;
      let expected = 0;
      for (let p = 0; p < P; p++) {
        const fb = firstPos[p * I + b]!;
        if (fb < 0) continue;
        const fa = firstPos[p * I + a]!;
        if (fa < 0 || fa >= fb) exceptions++;
        expected += fa < 0 ? 1 : cdf(firstDay(p, a));
      }
      if (enough(withItem[b]!, exceptions) && expected >= criteria.min_expected_by_chance) {
        before.set(`${a}>${b}`, { a, b, atRisk: withItem[b]!, exceptions, expected });
      }
    }
  }
  for (const { a, b, atRisk, exceptions, expected } of before.values()) {
    let transitive = false;
    for (let c = 0; c < I && !transitive; c++) {
      transitive = c !== a && c !== b && before.has(`${a}>${c}`) && before.has(`${c}>${b}`);
    }
    if (transitive) continue;
    rules.push({
      kind: 'precedence',
      before: items[a]!.pattern,
      code: items[b]!.pattern,
      ...mined,
      support: support(atRisk, exceptions, expected),
    });
  }
}

/** Rules `exclusive`: disjoint items (nearly) never seen together. */
function mineExclusive(m: Mining, maxOf: Map<number, number>): void {
  const { criteria, items, I, P, count, withItem, enough, support, mined, rules } = m;
  // exclusive pairs (disjoint items; not implied by a family seen at most once)
  for (let a = 0; a < I; a++) {
    for (let b = a + 1; b < I; b++) {
      if (items[a]!.codes.some((c) => items[b]!.member[c])) continue;
      const expected = (withItem[a]! * withItem[b]!) / Math.max(P, 1);
      if (expected < criteria.min_expected_by_chance) continue;
      let both = 0;
      for (let p = 0; p < P; p++) if (count[p * I + a]! > 0 && count[p * I + b]! > 0) both++;
      const atRisk = Math.min(withItem[a]!, withItem[b]!);
      if (!enough(atRisk, both)) continue;
      const implied = items.some(
        (f, j) =>
          maxOf.get(j) === 1 &&
          items[a]!.codes.every((c) => f.member[c]) &&
          items[b]!.codes.every((c) => f.member[c]),
      );
      if (implied) continue;
      rules.push({
        kind: 'exclusive',
        code: items[a]!.pattern,
        other: items[b]!.pattern,
        ...mined,
        support: support(atRisk, both, expected),
      });
    }
  }
}

/** Rules `code_requires_level` and `level_requires_code` from each categorical attribute. */
function mineAttributeRules(m: Mining, required: Set<number>): void {
  const { timeline, criteria, items, I, P, count, withItem, enough, support, mined, rules } = m;
  // attribute ↔ code, from the contingency table of each categorical attribute
  for (const attr of timeline.patients.attributes) {
    if (attr.kind !== 'categorical') continue;
    const L = attr.levels.length;
    items.forEach((it, k) => {
      if (required.has(k) || withItem[k] === 0) return;
      const nLevel = new Float64Array(L);
      const withLevel = new Float64Array(L);
      let known = 0;
      let knownWith = 0;
      for (let p = 0; p < P; p++) {
        const l = attr.codes[p]!;
        if (l < 0) continue;
        known++;
        nLevel[l]!++;
        if (count[p * I + k]! > 0) {
          withLevel[l]!++;
          knownWith++;
        }
      }
      if (known === 0) return;
      const rate = knownWith / known;
      // code only with some levels: exceptions would be the item in the other levels (none seen)
      const levels = attr.levels.filter((_, l) => withLevel[l]! > 0);
      let atRisk = 0;
      for (let l = 0; l < L; l++) if (withLevel[l] === 0) atRisk += nLevel[l]!;
      const expected = atRisk * rate;
      if (
        levels.length > 0 &&
        atRisk > 0 &&
        enough(atRisk, 0) &&
        expected >= criteria.min_expected_by_chance
      ) {
        rules.push({
          kind: 'code_requires_level',
          code: it.pattern,
          attribute: attr.name,
          levels,
          ...mined,
          support: support(atRisk, 0, expected),
        });
      }
      // a level that always has the item
      for (let l = 0; l < L; l++) {
        const misses = nLevel[l]! - withLevel[l]!;
        const expectedMisses = nLevel[l]! * (1 - rate);
        if (enough(nLevel[l]!, misses) && expectedMisses >= criteria.min_expected_by_chance) {
          rules.push({
            kind: 'level_requires_code',
            attribute: attr.name,
            level: attr.levels[l]!,
            code: it.pattern,
            ...mined,
            support: support(nLevel[l]!, misses, expectedMisses),
          });
        }
      }
    });
  }
}

/**
 * Mines plausibility rules from a (real) timeline, each with its support: how many patients
 * could have broken it (at risk) and how many did (exceptions). A rule is kept only when at
 * least `minAtRisk` patients were at risk and at most `tolerance` × at-risk broke it;
 * association rules also need `minExpectedByChance` exceptions expected under independence.
 * Terminal codes are left to the timeline contract. Items are codes and code families
 * (`TREATMENT_START:*`). Kinds:
 *
 * - `required`: every patient has the item (at risk: all patients);
 * - `first`: the item's first occurrence is the patient's first event (at risk: patients with it);
 * - `day_range`: every occurrence on one day d (at risk: patients with it), or never after the
 *   last day X seen (at risk: patients followed beyond X);
 * - `max_count`: never more than the most seen, m (at risk: patients who reached m);
 * - `precedence`: B never before the first A (at risk: patients with B);
 * - `exclusive`: A and B never in one patient (at risk: the smaller of the two groups);
 * - `code_requires_level`: the item only with some levels of a categorical attribute (at risk:
 *   patients with the other levels); `level_requires_code`: a level always has the item.
 *
 * Redundant rules are dropped: a code's `max_count` implied by its family's, an `exclusive`
 * pair inside a family seen at most once, `precedence` after a required first item or
 * implied by two others (A→C→B), rules on required items that say no more.
 *
 * @throws TrajsimError INVALID_ARGUMENT for bad criteria.
 * @example
 * mineRules(await readTimeline('out/colon')).rules.map(ruleId)
 * // => ['required:DIAGNOSIS', 'required:TREATMENT_START:*', 'first:DIAGNOSIS', ...]
 */
export function mineRules(timeline: Timeline, options: MineRulesOptions = {}): RuleSet {
  const criteria = miningCriteria(options);
  const m = tabulate(timeline, criteria);
  const required = mineRequired(m);
  const first = mineFirst(m);
  mineDayRanges(m);
  const maxOf = mineMaxCounts(m);
  minePrecedence(m, required, first);
  mineExclusive(m, maxOf);
  mineAttributeRules(m, required);
  const { rules, P } = m;
  rules.sort((x, y) => {
    const d = KIND_ORDER.indexOf(x.kind) - KIND_ORDER.indexOf(y.kind);
    if (d !== 0) return d;
    const ix = ruleId(x);
    const iy = ruleId(y);
    return ix < iy ? -1 : ix > iy ? 1 : 0;
  });
  return {
    format: 'trajsim-rules',
    format_version: RULES_FORMAT_VERSION,
    source: { name: timeline.name, patients: P, content_hash: options.contentHash ?? '' },
    criteria,
    rules,
  };
}
