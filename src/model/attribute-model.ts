import { TrajsimError } from '../core/errors.js';
import { forcedNotNumberMessage, unseenForcedLevelMessage } from '../core/messages.js';
import type { Rng } from '../core/rng.js';
import type { Attribute } from '../timeline/types.js';
import {
  type CartAttributeModel,
  fitCartAttributeModel,
  sampleCartAttributes,
} from './attribute-cart.js';

/**
 * The attribute model stored in a manifest (`attributeModel`): the sequential CART model
 * (`kind: 'cart'`, see attribute-cart.ts) that `train` writes today, or the legacy
 * one-parent network below, which manifests written before it still hold (they load and
 * sample exactly as before).
 */
export type AttributeModel = CartAttributeModel | ParentAttributeModel;

/**
 * Legacy: a small Bayesian network over the static attributes, fitted at training time and
 * stored in the model manifest, from which `generate` draws new patients' attributes (never
 * copies of real rows). It loses every relation but one parent per attribute (e.g.
 * `node4` is drawn independently of `nodes`); kept to load older models.
 *
 * Attributes are visited in schema order; each may have one parent: the earlier categorical
 * attribute that tells most about it (mutual information for a categorical child,
 * correlation ratio η² for a numeric child), when that is above {@link MIN_PARENT_SIGNAL}.
 * - categorical: P(level | parent level), missing is its own outcome (last column) and its
 *   own parent cell (last row); each row is smoothed towards the marginal with weight
 *   {@link SMOOTHING_WEIGHT} patients: p = (n_al + α·p_l) / (n_a + α).
 * - numeric: per parent cell, the missing rate (smoothed the same way) and
 *   {@link QUANTILE_POINTS} empirical quantiles of the present values (linear interpolation
 *   between them when sampling; the global quantiles when a cell has fewer than
 *   {@link MIN_CELL_VALUES} values). Integer-valued attributes are rounded.
 */
export const SMOOTHING_WEIGHT = 5;
export const QUANTILE_POINTS = 41;
export const MIN_CELL_VALUES = 20;
export const MIN_PARENT_SIGNAL = 0.01;

export interface CategoricalNode {
  readonly name: string;
  readonly kind: 'categorical';
  readonly levels: readonly string[];
  /** Index of the parent attribute (categorical, earlier), or -1. */
  readonly parent: number;
  /** One row per parent level plus one for a missing parent (a single row without parent); each row: P(level_0..level_{k-1}, missing). */
  readonly table: readonly (readonly number[])[];
}

export interface NumericCell {
  readonly missing: number;
  /** QUANTILE_POINTS quantiles at probabilities i / (QUANTILE_POINTS − 1); empty if never present. */
  readonly quantiles: readonly number[];
}

export interface NumericNode {
  readonly name: string;
  readonly kind: 'numeric';
  readonly parent: number;
  readonly integer: boolean;
  /** One cell per parent level plus one for a missing parent (a single cell without parent). */
  readonly cells: readonly NumericCell[];
}

export type AttributeNode = CategoricalNode | NumericNode;

/** The legacy one-parent attribute model (manifests written before the CART model). */
export interface ParentAttributeModel {
  readonly nodes: readonly AttributeNode[];
}

/** Rows of parent levels: level index or `levels` for missing. */
function cellOf(codes: Int32Array, p: number, levels: number): number {
  const c = codes[p]!;
  return c < 0 ? levels : c;
}

function mutualInformation(
  x: Int32Array,
  kx: number,
  y: Int32Array,
  ky: number,
  rows: Int32Array,
): number {
  const joint = new Float64Array((kx + 1) * (ky + 1));
  const px = new Float64Array(kx + 1);
  const py = new Float64Array(ky + 1);
  for (const p of rows) {
    const a = cellOf(x, p, kx);
    const b = cellOf(y, p, ky);
    joint[a * (ky + 1) + b]!++;
    px[a]!++;
    py[b]!++;
  }
  const n = rows.length;
  let mi = 0;
  for (let a = 0; a <= kx; a++) {
    for (let b = 0; b <= ky; b++) {
      const j = joint[a * (ky + 1) + b]!;
      if (j > 0) mi += (j / n) * Math.log((j * n) / (px[a]! * py[b]!));
    }
  }
  return mi;
}

function correlationRatio(
  values: Float64Array,
  parent: Int32Array,
  k: number,
  rows: Int32Array,
): number {
  const sum = new Float64Array(k + 1);
  const cnt = new Float64Array(k + 1);
  let total = 0;
  let totalSq = 0;
  let n = 0;
  for (const p of rows) {
    const v = values[p]!;
    if (Number.isNaN(v)) continue;
    const c = cellOf(parent, p, k);
    sum[c]! += v;
    cnt[c]!++;
    total += v;
    totalSq += v * v;
    n++;
  }
  if (n < 2) return 0;
  const mean = total / n;
  const ssTotal = totalSq - n * mean * mean;
  if (ssTotal <= 1e-12) return 0;
  let ssBetween = 0;
  for (let c = 0; c <= k; c++)
    if (cnt[c]! > 0) ssBetween += cnt[c]! * (sum[c]! / cnt[c]! - mean) ** 2;
  return ssBetween / ssTotal;
}

function quantiles(sorted: Float64Array): number[] {
  if (sorted.length === 0) return [];
  const out: number[] = [];
  for (let i = 0; i < QUANTILE_POINTS; i++) {
    const pos = (i / (QUANTILE_POINTS - 1)) * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(sorted.length - 1, lo + 1);
    out.push(sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!));
  }
  return out;
}

/**
 * Fits the attribute model that `train` stores: the sequential CART model.
 *
 * @param attributes the timeline's static attributes (schema order)
 * @param rows the training patients' row indices
 * @example
 * fitAttributeModel(timeline.patients.attributes, trainRows).kind // => 'cart'
 */
export function fitAttributeModel(
  attributes: readonly Attribute[],
  rows: Int32Array,
): CartAttributeModel {
  return fitCartAttributeModel(attributes, rows);
}

/**
 * Fits the legacy one-parent attribute model to the given patient rows (kept for
 * comparisons; `train` no longer writes it).
 *
 * @example
 * fitParentAttributeModel(timeline.patients.attributes, trainRows).nodes[0]
 * // => { name: 'stage', kind: 'categorical', parent: -1, table: [[0.2, 0.5, 0.3, 0]] , ...}
 */
export function fitParentAttributeModel(
  attributes: readonly Attribute[],
  rows: Int32Array,
): ParentAttributeModel {
  const nodes: AttributeNode[] = [];
  attributes.forEach((attr, j) => {
    let parent = -1;
    let best = MIN_PARENT_SIGNAL;
    for (let i = 0; i < j; i++) {
      const cand = attributes[i]!;
      if (cand.kind !== 'categorical') continue;
      const signal =
        attr.kind === 'categorical'
          ? mutualInformation(cand.codes, cand.levels.length, attr.codes, attr.levels.length, rows)
          : correlationRatio(attr.values, cand.codes, cand.levels.length, rows);
      if (signal > best) {
        best = signal;
        parent = i;
      }
    }
    const parentAttr =
      parent >= 0 ? (attributes[parent] as Extract<Attribute, { kind: 'categorical' }>) : undefined;
    const nCells = parentAttr ? parentAttr.levels.length + 1 : 1;
    const cellOfRow = (p: number): number =>
      parentAttr ? cellOf(parentAttr.codes, p, parentAttr.levels.length) : 0;
    if (attr.kind === 'categorical') {
      const k = attr.levels.length;
      const counts = Array.from({ length: nCells }, () => new Float64Array(k + 1));
      const marginal = new Float64Array(k + 1);
      for (const p of rows) {
        const c = cellOf(attr.codes, p, k);
        counts[cellOfRow(p)]![c]!++;
        marginal[c]!++;
      }
      const n = Math.max(1, rows.length);
      const table = counts.map((row) => {
        let total = 0;
        for (const v of row) total += v;
        return Array.from(
          row,
          (v, l) => (v + (SMOOTHING_WEIGHT * marginal[l]!) / n) / (total + SMOOTHING_WEIGHT),
        );
      });
      nodes.push({ name: attr.name, kind: 'categorical', levels: attr.levels, parent, table });
    } else {
      const cellValues: number[][] = Array.from({ length: nCells }, () => []);
      const cellMissing = new Float64Array(nCells);
      const cellTotal = new Float64Array(nCells);
      const all: number[] = [];
      let integer = true;
      for (const p of rows) {
        const cell = cellOfRow(p);
        const v = attr.values[p]!;
        cellTotal[cell]!++;
        if (Number.isNaN(v)) cellMissing[cell]!++;
        else {
          cellValues[cell]!.push(v);
          all.push(v);
          if (!Number.isInteger(v)) integer = false;
        }
      }
      const globalMissing = rows.length > 0 ? (rows.length - all.length) / rows.length : 1;
      const globalQ = quantiles(Float64Array.from(all).sort());
      const cells = cellValues.map((vals, c) => ({
        missing:
          (cellMissing[c]! + SMOOTHING_WEIGHT * globalMissing) / (cellTotal[c]! + SMOOTHING_WEIGHT),
        quantiles:
          vals.length >= MIN_CELL_VALUES ? quantiles(Float64Array.from(vals).sort()) : globalQ,
      }));
      nodes.push({ name: attr.name, kind: 'numeric', parent, integer, cells });
    }
  });
  return { nodes };
}

/**
 * A forced value for an attribute: a level name (categorical), a number (numeric), or null
 * (missing).
 */
export type ForcedAttributeValue = string | number | null;

/**
 * Draws one patient's attributes into `out` (level index or -1; number or NaN, schema order).
 * CART model: the unforced attributes are drawn from their conditional distribution given
 * the forced ones (see `sampleCartAttributes`). Legacy model: in node order, every node
 * consuming the same uniforms whether or not it is forced (the others ignore the forced
 * values except through a forced parent). Throws INFEASIBLE for a forced level the model
 * never saw, INVALID_ARGUMENT for a non-number forced on a numeric attribute.
 *
 * @param model the manifest's attribute model
 * @param rng the patient's attribute stream
 * @param out one slot per attribute
 * @param forced attribute name → value (level name, number, or null for missing)
 * @example
 * sampleAttributes(model, rng.fork('attributes'), row, { stage: 'IV' });
 */
export function sampleAttributes(
  model: AttributeModel,
  rng: Rng,
  out: Float64Array,
  forced?: Readonly<Record<string, ForcedAttributeValue>>,
): void {
  if ('kind' in model) {
    sampleCartAttributes(model, rng, out, forcedIndices(model, forced));
    return;
  }
  sampleParentAttributes(model, rng, out, forced);
}

function forcedIndices(
  model: CartAttributeModel,
  forced: Readonly<Record<string, ForcedAttributeValue>> | undefined,
): Map<number, number> {
  const out = new Map<number, number>();
  if (!forced) return out;
  model.trees.forEach((tree, j) => {
    const f = forced[tree.name];
    if (f === undefined) return;
    if (tree.kind === 'categorical') {
      const levels = tree.levels ?? [];
      const level = f === null ? -1 : levels.indexOf(String(f));
      if (f !== null && level < 0) {
        throw new TrajsimError(
          'INFEASIBLE',
          unseenForcedLevelMessage(tree.name, String(f), levels),
          { field: tree.name },
        );
      }
      out.set(j, level);
    } else {
      if (f !== null && typeof f !== 'number') {
        throw new TrajsimError('INVALID_ARGUMENT', forcedNotNumberMessage(tree.name, f), {
          field: tree.name,
        });
      }
      out.set(j, f === null ? Number.NaN : f);
    }
  });
  return out;
}

function sampleParentAttributes(
  model: ParentAttributeModel,
  rng: Rng,
  out: Float64Array,
  forced?: Readonly<Record<string, ForcedAttributeValue>>,
): void {
  model.nodes.forEach((node, j) => {
    const parentValue = node.parent >= 0 ? out[node.parent]! : 0;
    const parentLevels =
      node.parent >= 0 ? (model.nodes[node.parent] as CategoricalNode).levels.length : 0;
    const cell = node.parent < 0 ? 0 : parentValue < 0 ? parentLevels : parentValue;
    const f = forced?.[node.name];
    if (node.kind === 'categorical') {
      const row = node.table[cell]!;
      const c = rng.categorical(row);
      out[j] = c === node.levels.length ? -1 : c;
      if (f !== undefined) {
        const level = f === null ? -1 : node.levels.indexOf(String(f));
        if (f !== null && level < 0) {
          throw new TrajsimError(
            'INFEASIBLE',
            `attribute '${node.name}': level '${f}' was never seen in training (levels: ${node.levels.join(', ')})`,
            { field: node.name },
          );
        }
        out[j] = level;
      }
    } else {
      const c = node.cells[cell]!;
      const uMissing = rng.uniform();
      const u = rng.uniform();
      if (uMissing < c.missing || c.quantiles.length === 0) out[j] = Number.NaN;
      else {
        const pos = u * (c.quantiles.length - 1);
        const lo = Math.floor(pos);
        const hi = Math.min(c.quantiles.length - 1, lo + 1);
        const v = c.quantiles[lo]! + (pos - lo) * (c.quantiles[hi]! - c.quantiles[lo]!);
        out[j] = node.integer ? Math.round(v) : v;
      }
      if (f !== undefined) {
        if (f !== null && typeof f !== 'number') {
          throw new TrajsimError(
            'INVALID_ARGUMENT',
            `attribute '${node.name}' is numeric; got '${f}'`,
            {
              field: node.name,
            },
          );
        }
        out[j] = f === null ? Number.NaN : f;
      }
    }
  });
}
