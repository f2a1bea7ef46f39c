import type { Rng } from '../core/rng.js';
import { type CompiledRules, compileRules, type RuleAttributeSpec } from './compile-rules.js';
import type { RuleSet } from './rule-schema.js';
import { RuleState } from './rule-state.js';

/** The sampler's columnar buffers the mask reads each row's history and attributes from. */
export interface SamplerRows {
  /** [row × maxEvents] codes and days written so far; `count[row]` of them are valid. */
  readonly evCode: Int32Array;
  readonly evDay: Int32Array;
  readonly count: Int32Array;
  /** [row × attributes] attribute values (categorical: level index, -1 missing). */
  readonly attrs: Float64Array;
  readonly attributes: number;
  readonly maxEvents: number;
}

/** What the mask needs from a step model: the gap draw for a code of the last step. */
export interface GapSampler {
  sampleGapDays(row: number, code: number, rng: Rng): number;
}

/** Draws before a masked (code, day) is accepted as is, the day clamped into its window. */
export const MAX_MASKED_DRAWS = 32;

/**
 * Enforces hard rules while sampling, in the two stages of a step: the code, then its day.
 *
 * The sampler first draws exactly as an unmasked sampler would (same random numbers); a draw
 * that breaks no rule is kept, so patients on which no rule fires keep their bytes. A code
 * that a rule forbids is drawn again from the model's code probabilities restricted to the
 * allowed codes, renormalised ({@link checkCode}); a day outside the chosen code's window is
 * drawn again from its gap head (rejection, at most {@link MAX_MASKED_DRAWS} times, then
 * clamped: {@link checkDay}). Masked: codes over their maximum count, before their
 * `precedence` item, in an `exclusive` pair, against the row's attribute levels, a `first`
 * code after the first event (and, at the first event, every code but a required `first`
 * one), terminal codes while a required code is still due, and days outside a code's
 * `day_range` or after a due code's last day.
 *
 * The row's state follows the sampler's own buffers ({@link SamplerRows}): events written
 * since the last draw (sampled or forced) are replayed, and a row with no events starts afresh.
 *
 * @example
 * const c = mask.checkCode(row, drawnCode, rowProbabilities, prevDay, rng);
 * const day = mask.checkDay(row, modelRow, c, drawnDay, prevDay, stepModel, rng);
 */
export class RuleMask {
  /** Draws where a rule fired (the first code or day drawn was refused). */
  fired = 0;
  /** Draws where every code was masked: the unmasked draw was kept (the audit will show it). */
  stuck = 0;
  private readonly state: RuleState;
  private readonly seen: Int32Array;
  private readonly scratch = new Int32Array(1);
  private readonly weights: Float64Array;
  private readonly firstRules: readonly number[];

  constructor(
    readonly compiled: CompiledRules,
    private readonly rows: SamplerRows,
    capacity: number,
  ) {
    this.state = new RuleState(compiled, capacity, rows.attributes);
    this.seen = new Int32Array(capacity);
    this.weights = new Float64Array(compiled.codes.length);
    this.firstRules = compiled.rules.flatMap((r, k) => (r.hard && r.kind === 'first' ? [k] : []));
  }

  /**
   * Brings `row`'s rule state up to the sampler's buffers (replays the events written since
   * the last call; a row with no events starts afresh). The sampler calls it for rows that
   * step through an observed history without a draw, so the rules see those events.
   */
  sync(row: number): void {
    const r = this.rows;
    const n = r.count[row]!;
    if (n === 0) {
      this.state.reset(row, r.attrs, row * r.attributes);
      this.seen[row] = 0;
      return;
    }
    for (let e = this.seen[row]!; e < n; e++) {
      this.state.observe(row, r.evCode[row * r.maxEvents + e]!, r.evDay[row * r.maxEvents + e]!);
    }
    this.seen[row] = n;
  }

  /** [lo, hi] days allowed for `code` as the next event of `row` (lo > hi: none). */
  private window(row: number, code: number, prevDay: number): [number, number] {
    const c = this.compiled;
    let lo = prevDay;
    let hi = Number.POSITIVE_INFINITY;
    for (const r of c.rulesOfCode[code]!) {
      const rule = c.rules[r]!;
      if (rule.hard && rule.kind === 'day_range') {
        lo = Math.max(lo, rule.minDay);
        hi = Math.min(hi, rule.maxDay);
      }
    }
    if (c.terminal[code] !== 1) {
      for (const r of c.obligations) {
        const rule = c.rules[r]!;
        if (
          rule.hard &&
          rule.deadline >= prevDay &&
          c.items[rule.item]!.member[code] !== 1 &&
          this.state.pending(row, r)
        ) {
          hi = Math.min(hi, rule.deadline);
        }
      }
    }
    return [lo, hi];
  }

  /** True when `code` can be the next event of `row` on some allowed day. */
  private codeAllowed(row: number, code: number, prevDay: number): boolean {
    if (this.state.broken(row, code, Number.NaN, this.scratch, true) > 0) return false;
    if (this.state.events[row] === 0) {
      const c = this.compiled;
      for (const r of this.firstRules) {
        const item = c.rules[r]!.item;
        if (c.items[item]!.member[code] === 1) continue;
        for (const o of c.obligations) {
          if (c.rules[o]!.item === item && c.rules[o]!.hard && this.state.pending(row, o))
            return false;
        }
      }
    }
    const [lo, hi] = this.window(row, code, prevDay);
    return lo <= hi;
  }

  /**
   * Checks the code the sampler drew for sampler row `row` (first stage of a two-stage step:
   * the code, then the gap head for that code). A code that can break no hard rule on some
   * allowed day is returned as is (so patients on which no rule fires keep their bytes);
   * otherwise the code is drawn again from `probs` (this row's code probabilities) restricted
   * to the allowed codes, renormalised. When every code is masked the drawn one is kept
   * (counted in {@link stuck}; the audit shows it).
   */
  checkCode(
    row: number,
    code: number,
    probs: ArrayLike<number>,
    prevDay: number,
    rng: Rng,
  ): number {
    this.sync(row);
    if (this.codeAllowed(row, code, prevDay)) return code;
    this.fired++;
    const w = this.weights;
    let total = 0;
    for (let j = 0; j < w.length; j++) {
      w[j] = this.codeAllowed(row, j, prevDay) ? probs[j]! : 0;
      total += w[j]!;
    }
    if (!(total > 0)) {
      this.stuck++;
      return code;
    }
    return rng.categorical(w);
  }

  /**
   * Checks the day drawn for `code` (second stage): a day outside the code's allowed window
   * is drawn again from the gap head of model row `modelRow` (rejection: exact for the day
   * given the code), at most {@link MAX_MASKED_DRAWS} times, then clamped into the window.
   * The code itself is not reweighted by the chance of its window (that would need the gap
   * head of every code, the cost the two-stage step avoids); docs/model.md states this.
   */
  checkDay(
    row: number,
    modelRow: number,
    code: number,
    day: number,
    prevDay: number,
    gaps: GapSampler,
    rng: Rng,
  ): number {
    const [lo, hi] = this.window(row, code, prevDay);
    if (day >= lo && day <= hi) return day;
    this.fired++;
    let d = day;
    for (let t = 0; t < MAX_MASKED_DRAWS && !(d >= lo && d <= hi); t++) {
      d = prevDay + gaps.sampleGapDays(modelRow, code, rng);
    }
    return Math.min(Math.max(d, lo), hi);
  }
}

/**
 * The mask of a rule set for a sampler over `codes` and `attributes`, or undefined when there
 * are no hard rules (the sampler then draws freely; the bytes are those of an unmasked run).
 *
 * @example
 * const mask = createRuleMask(rules, model.stepModel.codes, model.attributes, buffers, 1024);
 */
export function createRuleMask(
  rules: RuleSet | undefined,
  codes: readonly string[],
  attributes: readonly RuleAttributeSpec[],
  rows: SamplerRows,
  capacity: number,
): RuleMask | undefined {
  if (!rules) return undefined;
  const compiled = compileRules(rules.rules, codes, attributes);
  if (!compiled.rules.some((r) => r.hard)) return undefined;
  return new RuleMask(compiled, rows, capacity);
}
