// Over 400 lines on purpose: the CART fit (splits, tree growth) and the sampler read one tree
// format (CartTreeNode) and the same leaf rules; each function is short.
import { TrajsimError } from '../core/errors.js';
import { badCartModelMessage, cartTreeCountMessage } from '../core/messages.js';
import type { Rng } from '../core/rng.js';
import { lowerBound, upperBound } from '../core/sorted-search.js';
import type { Attribute } from '../timeline/types.js';
import { CART_DEFAULT_SMOOTHING, type CartSmoothing, smoothLeafDraw } from './cart-smoothing.js';

/**
 * Sequential CART attribute model (in the manner of synthpop): attributes are visited in a
 * fixed order (numeric before categorical, schema order within each, so that a level that is
 * a threshold of a number comes after the number); each attribute has a small
 * classification/regression tree on ALL attributes before it (numeric or categorical,
 * missingness included), and a leaf is sampled from the training values that reached it:
 * - categorical target: leaf counts per level plus one for missing (so missingness keeps its
 *   dependence on the other attributes);
 * - numeric target: the sorted observed values of the leaf plus a count of missing ones; with
 *   `smoothing: 'density'` (new fits) a drawn value is smoothed around it (cart-smoothing.ts).
 *
 * A relation that holds in every training patient (`node4 = nodes > 4`) gives pure leaves,
 * hence holds exactly in generated patients. Splits need at least {@link CART_MIN_LEAF}
 * patients on each side (synthpop's `minbucket` is 5; 10 with a least gain of 1e-3 of the root
 * impurity halved the share of generated attribute rows that copy a training row exactly —
 * colon: 20% → 10% — at the same pairwise-association fidelity; docs/attributes.md), so a
 * leaf never holds fewer than that many training values. Fitting is exact and deterministic (no randomness; ties go to the
 * first candidate found).
 */
export const CART_MIN_LEAF = 10;
/** A split must reduce the impurity by at least this fraction of the root's impurity. */
export const CART_MIN_GAIN = 1e-3;
export const CART_MAX_DEPTH = 24;
/** Rejection attempts for conditional sampling before the last, unconditional, attempt. */
export const CART_MAX_ATTEMPTS = 500;
/** Numeric conditioning window: ± this many standard deviations of the attribute. */
export const CART_BANDWIDTH_SD = 0.25;

export type CartTreeNode =
  | { readonly kind: 'leaf'; readonly counts: readonly number[] }
  | { readonly kind: 'leaf'; readonly values: readonly number[]; readonly missing: number }
  | {
      readonly kind: 'le';
      /** Attribute index (schema order); left when value ≤ threshold, missing goes `missingLeft`. */
      readonly attribute: number;
      readonly threshold: number;
      readonly missingLeft: boolean;
      readonly left: number;
      readonly right: number;
    }
  | {
      readonly kind: 'in';
      /** Categorical attribute index; left when its level index (-1 missing) is in `levels`. */
      readonly attribute: number;
      readonly levels: readonly number[];
      readonly left: number;
      readonly right: number;
    }
  | {
      readonly kind: 'missing';
      /** Left when the attribute is missing, right when present. */
      readonly attribute: number;
      readonly left: number;
      readonly right: number;
    };

export interface CartTree {
  readonly name: string;
  readonly kind: 'categorical' | 'numeric';
  /** Categorical: its levels (leaf counts have one more entry, for missing). */
  readonly levels?: readonly string[] | undefined;
  /** Numeric: half-width of the window that counts as "equal" when conditioning on a value. */
  readonly bandwidth?: number | undefined;
  /** Nodes; the root is node 0. */
  readonly nodes: readonly CartTreeNode[];
}

/** The sequential CART model as stored in the manifest (`attributeModel`). */
export interface CartAttributeModel {
  readonly kind: 'cart';
  readonly version: 1;
  /** Attribute indices (schema order) in visiting order. */
  readonly order: readonly number[];
  /** One tree per attribute, in schema order. */
  readonly trees: readonly CartTree[];
  /**
   * 'density' / 'rare': numeric leaf draws are smoothed (cart-smoothing.ts: every value, or
   * only rare ones). Absent: observed values are drawn as they are (what models fitted before
   * smoothing existed do, unchanged).
   */
  readonly smoothing?: 'density' | 'rare' | undefined;
}

/** Tree growth limits (defaults {@link CART_MIN_LEAF}, {@link CART_MIN_GAIN}). */
export interface CartOptions {
  /** Fewest training patients on each side of a split. */
  readonly minLeaf: number;
  /** Least impurity decrease of a split, as a fraction of the root's impurity. */
  readonly minGain: number;
  /** Numeric leaf draws: observed ('none') or smoothed ('density'; 'rare', the default). */
  readonly smoothing: CartSmoothing;
}

type Target =
  | { readonly kind: 'categorical'; readonly codes: Int32Array; readonly k: number }
  | {
      readonly kind: 'numeric';
      readonly values: Float64Array;
      readonly mean: number;
      readonly scale: number;
    };

/** Width of the sufficient statistics of a target. */
function statWidth(t: Target): number {
  return t.kind === 'categorical' ? t.k + 1 : 4;
}

function addRow(t: Target, stats: Float64Array, p: number, sign: number): void {
  if (t.kind === 'categorical') {
    const c = t.codes[p]!;
    stats[c < 0 ? t.k : c]! += sign;
    return;
  }
  const v = t.values[p]!;
  stats[0]! += sign;
  if (Number.isNaN(v)) return;
  const d = v - t.mean;
  stats[1]! += sign;
  stats[2]! += sign * d;
  stats[3]! += sign * d * d;
}

function countOf(t: Target, stats: Float64Array): number {
  if (t.kind === 'numeric') return stats[0]!;
  let n = 0;
  for (const v of stats) n += v;
  return n;
}

/** n × Gini (categorical); SSE / variance + n × Gini of the missing indicator (numeric). */
function impurity(t: Target, stats: Float64Array): number {
  if (t.kind === 'categorical') {
    let n = 0;
    let sq = 0;
    for (const v of stats) {
      n += v;
      sq += v * v;
    }
    return n > 0 ? n - sq / n : 0;
  }
  const n = stats[0]!;
  const np = stats[1]!;
  if (n <= 0) return 0;
  const sse = np > 0 ? Math.max(0, stats[3]! - (stats[2]! * stats[2]!) / np) : 0;
  return sse / t.scale + (2 * (n - np) * np) / n;
}

interface Split {
  readonly gain: number;
  /** The split node without its children. */
  readonly node: {
    readonly kind: 'le' | 'in' | 'missing';
    readonly attribute: number;
    readonly [field: string]: unknown;
  };
  readonly goesLeft: (p: number) => boolean;
}

function targetOf(attr: Attribute, rows: Int32Array): Target {
  if (attr.kind === 'categorical')
    return { kind: 'categorical', codes: attr.codes, k: attr.levels.length };
  let n = 0;
  let sum = 0;
  for (const p of rows) {
    const v = attr.values[p]!;
    if (!Number.isNaN(v)) {
      n++;
      sum += v;
    }
  }
  const mean = n > 0 ? sum / n : 0;
  let ss = 0;
  for (const p of rows) {
    const v = attr.values[p]!;
    if (!Number.isNaN(v)) ss += (v - mean) ** 2;
  }
  const variance = n > 1 ? ss / n : 0;
  return { kind: 'numeric', values: attr.values, mean, scale: variance > 1e-12 ? variance : 1 };
}

function subtract(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

function plus(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

function numericSplit(
  t: Target,
  attr: Extract<Attribute, { kind: 'numeric' }>,
  index: number,
  rows: Int32Array,
  total: Float64Array,
  parentImp: number,
  cfg: CartOptions,
): Split | undefined {
  const x = attr.values;
  const w = statWidth(t);
  const present = Array.from(rows).filter((p) => !Number.isNaN(x[p]!));
  present.sort((a, b) => x[a]! - x[b]! || a - b);
  const missing = new Float64Array(w);
  for (const p of rows) if (Number.isNaN(x[p]!)) addRow(t, missing, p, 1);
  const nMissing = rows.length - present.length;
  let best: Split | undefined;
  const consider = (gain: number, make: () => Split): void => {
    if (gain > (best?.gain ?? 0) + 1e-12) best = make();
  };
  if (nMissing >= cfg.minLeaf && present.length >= cfg.minLeaf) {
    const gain = parentImp - impurity(t, missing) - impurity(t, subtract(total, missing));
    consider(gain, () => ({
      gain,
      node: { kind: 'missing', attribute: index },
      goesLeft: (p) => Number.isNaN(x[p]!),
    }));
  }
  const left = new Float64Array(w);
  for (let i = 0; i < present.length - 1; i++) {
    addRow(t, left, present[i]!, 1);
    const a = x[present[i]!]!;
    const b = x[present[i + 1]!]!;
    if (a === b) continue;
    const nLeft = i + 1;
    const nRight = present.length - nLeft;
    const threshold = a + (b - a) / 2;
    for (const missingLeft of [false, true]) {
      if (nMissing === 0 && missingLeft) continue;
      const nl = nLeft + (missingLeft ? nMissing : 0);
      const nr = nRight + (missingLeft ? 0 : nMissing);
      if (nl < cfg.minLeaf || nr < cfg.minLeaf) continue;
      const l = missingLeft ? plus(left, missing) : left;
      const gain = parentImp - impurity(t, l) - impurity(t, subtract(total, l));
      consider(gain, () => ({
        gain,
        node: { kind: 'le', attribute: index, threshold, missingLeft },
        goesLeft: (p) => {
          const v = x[p]!;
          return Number.isNaN(v) ? missingLeft : v <= threshold;
        },
      }));
    }
  }
  return best;
}

function categoricalSplit(
  t: Target,
  attr: Extract<Attribute, { kind: 'categorical' }>,
  index: number,
  rows: Int32Array,
  total: Float64Array,
  parentImp: number,
  cfg: CartOptions,
): Split | undefined {
  const k = attr.levels.length;
  const w = statWidth(t);
  const perLevel = Array.from({ length: k + 1 }, () => new Float64Array(w));
  for (const p of rows) {
    const c = attr.codes[p]!;
    addRow(t, perLevel[c < 0 ? k : c]!, p, 1);
  }
  const used = perLevel.flatMap((s, l) => (countOf(t, s) > 0 ? [l] : []));
  if (used.length < 2) return undefined;
  // Orderings whose prefixes are tried: by the share of each target class (categorical; the
  // optimal one for a binary target), by the mean and by the missing rate (numeric).
  const scores: ((s: Float64Array) => number)[] =
    t.kind === 'categorical'
      ? Array.from({ length: w }, (_, c) => (s: Float64Array) => s[c]! / (countOf(t, s) || 1))
      : [(s) => (s[1]! > 0 ? s[2]! / s[1]! : 0), (s) => (s[0]! > 0 ? (s[0]! - s[1]!) / s[0]! : 0)];
  let best: Split | undefined;
  const seen = new Set<string>();
  for (const score of scores) {
    const ordered = [...used].sort((a, b) => score(perLevel[a]!) - score(perLevel[b]!) || a - b);
    const left = new Float64Array(w);
    for (let i = 0; i < ordered.length - 1; i++) {
      const s = perLevel[ordered[i]!]!;
      for (let j = 0; j < w; j++) left[j]! += s[j]!;
      const leftLevels = ordered.slice(0, i + 1).sort((a, b) => a - b);
      const key = leftLevels.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      const nl = countOf(t, left);
      const right = subtract(total, left);
      if (nl < cfg.minLeaf || countOf(t, right) < cfg.minLeaf) continue;
      const gain = parentImp - impurity(t, left) - impurity(t, right);
      if (gain > (best?.gain ?? 0) + 1e-12) {
        const inLeft = new Uint8Array(k + 1);
        for (const l of leftLevels) inLeft[l] = 1;
        best = {
          gain,
          node: {
            kind: 'in',
            attribute: index,
            levels: leftLevels.map((l) => (l === k ? -1 : l)),
          },
          goesLeft: (p) => {
            const c = attr.codes[p]!;
            return inLeft[c < 0 ? k : c] === 1;
          },
        };
      }
    }
  }
  return best;
}

function leafOf(t: Target, attr: Attribute, rows: Int32Array, stats: Float64Array): CartTreeNode {
  if (t.kind === 'categorical') return { kind: 'leaf', counts: Array.from(stats) };
  const values: number[] = [];
  let missing = 0;
  for (const p of rows) {
    const v = (attr as Extract<Attribute, { kind: 'numeric' }>).values[p]!;
    if (Number.isNaN(v)) missing++;
    else values.push(v);
  }
  values.sort((a, b) => a - b);
  return { kind: 'leaf', values, missing };
}

function fitTree(
  attributes: readonly Attribute[],
  target: number,
  predictors: readonly number[],
  rows: Int32Array,
  cfg: CartOptions,
): CartTree {
  const attr = attributes[target]!;
  const t = targetOf(attr, rows);
  const nodes: CartTreeNode[] = [];
  const statsOf = (r: Int32Array): Float64Array => {
    const s = new Float64Array(statWidth(t));
    for (const p of r) addRow(t, s, p, 1);
    return s;
  };
  const rootStats = statsOf(rows);
  const minGain = cfg.minGain * Math.max(impurity(t, rootStats), 1e-12);
  const grow = (r: Int32Array, stats: Float64Array, depth: number): number => {
    const id = nodes.length;
    nodes.push({ kind: 'leaf', counts: [] }); // placeholder
    const imp = impurity(t, stats);
    let best: Split | undefined;
    if (depth < CART_MAX_DEPTH && r.length >= 2 * cfg.minLeaf && imp > 1e-9) {
      for (const j of predictors) {
        const a = attributes[j]!;
        const s =
          a.kind === 'numeric'
            ? numericSplit(t, a, j, r, stats, imp, cfg)
            : categoricalSplit(t, a, j, r, stats, imp, cfg);
        if (s && s.gain > (best?.gain ?? minGain) + 1e-12) best = s;
      }
    }
    if (!best) {
      nodes[id] = leafOf(t, attr, r, stats);
      return id;
    }
    const goLeft = best.goesLeft;
    const leftRows = r.filter((p) => goLeft(p));
    const rightRows = r.filter((p) => !goLeft(p));
    const left = grow(leftRows, statsOf(leftRows), depth + 1);
    const right = grow(rightRows, statsOf(rightRows), depth + 1);
    nodes[id] = { ...best.node, left, right } as CartTreeNode;
    return id;
  };
  grow(rows, rootStats, 0);
  if (attr.kind === 'categorical') {
    return { name: attr.name, kind: 'categorical', levels: attr.levels, nodes };
  }
  const sd = t.kind === 'numeric' && t.scale !== 1 ? Math.sqrt(t.scale) : 0;
  return { name: attr.name, kind: 'numeric', bandwidth: CART_BANDWIDTH_SD * sd, nodes };
}

/**
 * The visiting order: numeric attributes first, then categorical ones, schema order within
 * each (a threshold level such as `node4` then follows the number it is derived from).
 *
 * @example
 * cartOrder([{ kind: 'categorical' }, { kind: 'numeric' }] as Attribute[]) // => [1, 0]
 */
export function cartOrder(attributes: readonly Pick<Attribute, 'kind'>[]): number[] {
  const idx = attributes.map((_, i) => i);
  return [
    ...idx.filter((i) => attributes[i]!.kind === 'numeric'),
    ...idx.filter((i) => attributes[i]!.kind === 'categorical'),
  ];
}

/**
 * Fits the sequential CART model to the given patient rows (indices into the attribute
 * arrays). Exact and deterministic: the same data give the same trees.
 *
 * @param attributes the timeline's static attributes (schema order)
 * @param rows the training patients' row indices
 * @param options tree growth limits and numeric smoothing (default {@link CART_DEFAULT_SMOOTHING})
 * @example
 * const m = fitCartAttributeModel(timeline.patients.attributes, trainRows);
 * m.trees[m.order[0]!]!.nodes.length // => 1 (the first attribute has no predictors)
 */
export function fitCartAttributeModel(
  attributes: readonly Attribute[],
  rows: Int32Array,
  options: Partial<CartOptions> = {},
): CartAttributeModel {
  const cfg: CartOptions = {
    minLeaf: options.minLeaf ?? CART_MIN_LEAF,
    minGain: options.minGain ?? CART_MIN_GAIN,
    smoothing: options.smoothing ?? CART_DEFAULT_SMOOTHING,
  };
  const order = cartOrder(attributes);
  const trees: CartTree[] = new Array(attributes.length);
  order.forEach((j, pos) => {
    trees[j] = fitTree(attributes, j, order.slice(0, pos), rows, cfg);
  });
  const model: CartAttributeModel = { kind: 'cart', version: 1, order, trees };
  return cfg.smoothing === 'none' ? model : { ...model, smoothing: cfg.smoothing };
}

/** The leaf of `tree` reached by the (partially filled) attribute row `row`. */
function leafFor(tree: CartTree, row: Float64Array): Extract<CartTreeNode, { kind: 'leaf' }> {
  let node = tree.nodes[0]!;
  for (;;) {
    switch (node.kind) {
      case 'leaf':
        return node;
      case 'le': {
        const v = row[node.attribute]!;
        const left = Number.isNaN(v) ? node.missingLeft : v <= node.threshold;
        node = tree.nodes[left ? node.left : node.right]!;
        break;
      }
      case 'in': {
        const v = row[node.attribute]!;
        node = tree.nodes[node.levels.includes(v < 0 ? -1 : v) ? node.left : node.right]!;
        break;
      }
      case 'missing': {
        const v = row[node.attribute]!;
        node = tree.nodes[Number.isNaN(v) || v < 0 ? node.left : node.right]!;
        break;
      }
    }
  }
}

function drawLeaf(
  leaf: Extract<CartTreeNode, { kind: 'leaf' }>,
  rng: Rng,
  smooth: CartSmoothing,
): number {
  if ('counts' in leaf) {
    const c = rng.categorical(leaf.counts);
    return c === leaf.counts.length - 1 ? -1 : c;
  }
  const total = leaf.missing + leaf.values.length;
  const i = rng.int(total);
  if (i < leaf.missing) return Number.NaN;
  const v = leaf.values[i - leaf.missing]!;
  return smooth === 'none' ? v : smoothLeafDraw(leaf.values, v, rng, smooth);
}

/**
 * Share of a leaf's training values that "equal" `value`: the same level (or missing: -1);
 * for a number, within ± the tree's bandwidth (NaN: missing).
 */
function leafLikelihood(
  tree: CartTree,
  leaf: Extract<CartTreeNode, { kind: 'leaf' }>,
  value: number,
): number {
  if ('counts' in leaf) {
    let n = 0;
    for (const c of leaf.counts) n += c;
    const c = value < 0 ? leaf.counts.length - 1 : value;
    return n > 0 ? (leaf.counts[c] ?? 0) / n : 0;
  }
  const n = leaf.missing + leaf.values.length;
  if (n === 0) return 0;
  if (Number.isNaN(value)) return leaf.missing / n;
  const h = tree.bandwidth ?? 0;
  return (upperBound(leaf.values, value + h) - lowerBound(leaf.values, value - h)) / n;
}

function maxLikelihood(tree: CartTree, value: number): number {
  let m = 0;
  for (const node of tree.nodes)
    if (node.kind === 'leaf') m = Math.max(m, leafLikelihood(tree, node, value));
  return m;
}

/**
 * Draws one patient's attributes into `out` (schema order: level index or -1; number or NaN).
 * Attributes in `forced` (schema index → value in the same encoding) are set to their value
 * and the others drawn from the conditional distribution given them: attributes after a
 * forced one in the visiting order condition on it through their trees; those before it by
 * rejection — a draw of the earlier attributes is kept with probability
 * P(forced value | leaf) / max over leaves, which is exact rejection sampling from
 * P(earlier | forced) (a number counts as equal within ± the tree's bandwidth). After
 * {@link CART_MAX_ATTEMPTS} rejections the last attempt keeps whatever it draws.
 *
 * @param model the fitted model
 * @param rng the patient's attribute stream (its draws depend only on it and `forced`)
 * @param out one slot per attribute
 * @param forced schema index → forced value
 * @example
 * const out = new Float64Array(model.trees.length);
 * sampleCartAttributes(model, rng, out, new Map([[7, 1]])); // node4 = level 1, nodes drawn given it
 */
export function sampleCartAttributes(
  model: CartAttributeModel,
  rng: Rng,
  out: Float64Array,
  forced: ReadonlyMap<number, number> = new Map(),
): void {
  const smooth: CartSmoothing = model.smoothing ?? 'none';
  const bound = new Map<number, number>();
  for (const [j, v] of forced) bound.set(j, maxLikelihood(model.trees[j]!, v));
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= CART_MAX_ATTEMPTS;
    let rejected = false;
    for (const j of model.order) {
      const tree = model.trees[j]!;
      const leaf = leafFor(tree, out);
      const f = forced.get(j);
      if (f === undefined) {
        out[j] = drawLeaf(leaf, rng, smooth);
        continue;
      }
      out[j] = f;
      const m = bound.get(j)!;
      if (!last && m > 0 && rng.uniform() * m >= leafLikelihood(tree, leaf, f)) {
        rejected = true;
        break;
      }
    }
    if (!rejected) return;
  }
}

/**
 * Checks a CART model read from a manifest: every tree's node references in range and
 * attribute indices earlier in the visiting order. Throws MODEL naming the tree.
 *
 * @param model the parsed `attributeModel`
 * @param attributes the manifest's number of attributes
 * @example
 * checkCartAttributeModel(manifest.attributeModel, manifest.attributes.length); // or throws
 */
export function checkCartAttributeModel(model: CartAttributeModel, attributes: number): void {
  const fail = (msg: string): never => {
    throw new TrajsimError('MODEL', msg, { field: 'attributeModel' });
  };
  if (model.trees.length !== attributes || model.order.length !== attributes)
    fail(cartTreeCountMessage(attributes, model.trees.length));
  const pos = new Map(model.order.map((j, i) => [j, i]));
  model.trees.forEach((tree, j) => {
    tree.nodes.forEach((node, i) => {
      if (node.kind === 'leaf') return;
      if (
        !(
          node.left > i &&
          node.right > i &&
          node.left < tree.nodes.length &&
          node.right < tree.nodes.length
        )
      )
        fail(badCartModelMessage(tree.name, i, 'child out of range'));
      if (!((pos.get(node.attribute) ?? attributes) < (pos.get(j) ?? -1)))
        fail(badCartModelMessage(tree.name, i, 'splits on an attribute not drawn before it'));
    });
  });
}
