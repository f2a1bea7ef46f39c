import type { CompiledRules } from './compile-rules.js';

/**
 * The per-row state machine of a rule set: for each row (a patient being sampled or audited),
 * how often each item has occurred, how many events it has, its last day and the levels of
 * the attributes rules look at. Columnar (typed arrays indexed by row); no per-event objects.
 * It answers "would this event break a rule?" for the sampler's mask and for the audit, so
 * both enforce and check exactly the same thing.
 *
 * @example
 * const state = new RuleState(compileRules(rules, codes, attributes), 1, attributes.length);
 * state.reset(0, levels, 0);
 * state.broken(0, recurrence, 400, out, true) // => 0: allowed
 */
export class RuleState {
  readonly compiled: CompiledRules;
  private readonly nItems: number;
  private readonly nAttributes: number;
  /** [row × item] occurrences so far. */
  private readonly itemCount: Int32Array;
  /** Events so far per row. */
  readonly events: Int32Array;
  /** Day of the last event per row (0 before the first). */
  readonly lastDay: Int32Array;
  /** [row × attribute] level index (-1 missing or numeric). */
  private readonly level: Int32Array;

  /** State for `rows` rows over `nAttributes` schema attributes. */
  constructor(compiled: CompiledRules, rows: number, nAttributes: number) {
    this.compiled = compiled;
    this.nItems = compiled.items.length;
    this.nAttributes = nAttributes;
    this.itemCount = new Int32Array(rows * this.nItems);
    this.events = new Int32Array(rows);
    this.lastDay = new Int32Array(rows);
    this.level = new Int32Array(rows * Math.max(1, nAttributes));
  }

  /**
   * Starts `row` afresh: no events; attribute levels from `values[offset + a]` (a level index,
   * -1 or NaN when missing) for every schema attribute a.
   */
  reset(row: number, values: ArrayLike<number>, offset: number): void {
    this.itemCount.fill(0, row * this.nItems, (row + 1) * this.nItems);
    this.events[row] = 0;
    this.lastDay[row] = 0;
    for (let a = 0; a < this.nAttributes; a++) {
      const v = values[offset + a]!;
      this.level[row * this.nAttributes + a] = Number.isInteger(v) ? v : -1;
    }
  }

  /** Records an event of `row`. */
  observe(row: number, code: number, day: number): void {
    for (const k of this.compiled.itemsOfCode[code]!) this.itemCount[row * this.nItems + k]!++;
    this.events[row]!++;
    this.lastDay[row] = day;
  }

  /** Occurrences of item `k` in `row` so far. */
  count(row: number, k: number): number {
    return this.itemCount[row * this.nItems + k]!;
  }

  private levelOf(row: number, attribute: number): number {
    return this.level[row * this.nAttributes + attribute]!;
  }

  /** True when obligation rule `r` (required, level_requires_code) applies to `row` and is still open. */
  pending(row: number, r: number): boolean {
    const rule = this.compiled.rules[r]!;
    if (this.count(row, rule.item) > 0) return false;
    if (rule.kind === 'level_requires_code') {
      const l = this.levelOf(row, rule.attribute);
      return l >= 0 && rule.levels[l] === 1;
    }
    return true;
  }

  /**
   * Writes into `out` (up to `out.length`) the indices of the rules that `code` on `day` would
   * break as the next event of `row`, and returns how many. Day rules are skipped when `day`
   * is NaN (code-level check). With `hardOnly`, soft rules are ignored. A terminal code breaks
   * every pending obligation.
   */
  broken(row: number, code: number, day: number, out: Int32Array, hardOnly: boolean): number {
    const c = this.compiled;
    let n = 0;
    const first = this.events[row] === 0;
    for (const r of c.rulesOfCode[code]!) {
      if (n >= out.length) return n;
      const rule = c.rules[r]!;
      if (hardOnly && !rule.hard) continue;
      let breaks = false;
      switch (rule.kind) {
        case 'max_count':
          breaks = this.count(row, rule.item) + 1 > rule.max;
          break;
        case 'first':
          breaks = !first && this.count(row, rule.item) === 0;
          break;
        case 'day_range':
          breaks = !Number.isNaN(day) && (day < rule.minDay || day > rule.maxDay);
          break;
        case 'precedence':
          breaks = this.count(row, rule.item) === 0 && this.count(row, rule.other) === 0;
          break;
        case 'exclusive': {
          const inItem = c.items[rule.item]!.member[code] === 1;
          breaks = this.count(row, inItem ? rule.other : rule.item) > 0;
          break;
        }
        case 'code_requires_level': {
          const l = this.levelOf(row, rule.attribute);
          breaks = l >= 0 && rule.levels[l] !== 1;
          break;
        }
        default:
          break;
      }
      if (breaks) out[n++] = r;
    }
    if (c.terminal[code] === 1) {
      for (const r of c.obligations) {
        if (n >= out.length) return n;
        if (hardOnly && !c.rules[r]!.hard) continue;
        if (this.pending(row, r)) out[n++] = r;
      }
    }
    return n;
  }

  /**
   * The open obligations of `row` that the patient can still meet (their deadline not passed):
   * the earliest deadline among them (Infinity when none), written with the obligation items
   * into `items` (returns how many).
   */
  openObligations(row: number, items: Int32Array): { count: number; deadline: number } {
    const c = this.compiled;
    let count = 0;
    let deadline = Number.POSITIVE_INFINITY;
    for (const r of c.obligations) {
      const rule = c.rules[r]!;
      if (!rule.hard || !this.pending(row, r) || this.lastDay[row]! > rule.deadline) continue;
      if (count < items.length) items[count++] = rule.item;
      deadline = Math.min(deadline, rule.deadline);
    }
    return { count, deadline };
  }
}
