import {
  type Logger,
  MESSAGES,
  privacyMembershipAttacks,
  privacyNearestRecords,
  SILENT_LOGGER,
} from '../../core/messages.js';
import { Rng } from '../../core/rng.js';
import type { Timeline } from '../../timeline/types.js';
import { NearestNeighbourIndex } from './nearest-neighbours.js';
import {
  attributeInference,
  dcrMetrics,
  exactCopies,
  membershipMetrics,
} from './privacy-metrics.js';
import {
  judgePrivacyMetric,
  type PrivacyMetric,
  type PrivacyReport,
  type PrivacyThresholds,
  privacyThresholdFor,
} from './privacy-report.js';
import {
  DEFAULT_ATTRIBUTE_WEIGHT,
  DEFAULT_TIME_SCALE_DAYS,
  type TrajectoryDistanceOptions,
} from './trajectory-distance.js';
import {
  concatTrajectories,
  encodeTrajectories,
  subsetTrajectories,
  type TrajectorySet,
} from './trajectory-space.js';

/** Options of {@link assessPrivacy}. */
export interface PrivacyOptions extends TrajectoryDistanceOptions {
  readonly thresholds: PrivacyThresholds;
  /** Seed of every subsample and bootstrap (default '1'). */
  readonly seed?: string;
  /**
   * Synthetic records whose nearest training and holdout records are searched (a seeded
   * random sample; default 2000): the DCR metrics are means over synthetic records, so a
   * sample estimates them, and its size enters their intervals. Exact copies use every record.
   */
  readonly maxQueries?: number;
  /** Members (and non-members) per side in the attacks (default 1000). */
  readonly maxAttackRecords?: number;
  /** Neighbours of the DOMIAS-style density estimate (default 5). */
  readonly domiasK?: number;
  /** Share of real records covered by the rarest attribute combinations (default 0.1). */
  readonly rareShare?: number;
  /** The model's NLL per patient (nats per event) of the given rows: enables the likelihood attack. */
  readonly nll?: (timeline: Timeline, rows: Int32Array) => Float64Array;
  /** How the holdout was obtained, for the report. */
  readonly holdoutSource?: string;
  readonly logger?: Logger;
}

/** Rows 0..n−1 in a seeded random order (Fisher–Yates). */
function permutation(n: number, rng: Rng): Int32Array {
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = rows[i]!;
    rows[i] = rows[j]!;
    rows[j] = t;
  }
  return rows;
}

/**
 * Measures the privacy risk of a synthetic cohort against the generator's training data and
 * a holdout of the same population the generator never saw (docs/privacy.md): exact copies
 * (beyond those of holdout records, excluding trajectories that recur in the real data),
 * the holdout DCR share and nearest-neighbour distance ratio, membership-inference attacks
 * (distance to the closest synthetic record; DOMIAS-style density ratio; the model's own
 * likelihood when `nll` is given) as ROC AUC and TPR at 1% FPR, and attribute inference on
 * the patients with the rarest attribute combinations. Every metric has a 95% interval and
 * a verdict against `thresholds`. Deterministic for a given seed.
 *
 * @param train - the timeline the generator was trained on.
 * @param holdout - real patients of the same population, not used in training.
 * @param synthetic - the generated cohort (one timeline, or its shards in order).
 * @throws TrajsimError INVALID_INPUT when the timelines' attributes do not match the training's.
 * @example
 * const r = assessPrivacy(train, holdout, synthetic, { thresholds: defaultPrivacyThresholds() });
 * r.metrics.find((m) => m.id === 'dcr.share')!.value // => ≈ 0.5 for a generator that does not memorise
 */
export function assessPrivacy(
  train: Timeline,
  holdout: Timeline,
  synthetic: Timeline | readonly Timeline[],
  options: PrivacyOptions,
): PrivacyReport {
  const shards = Array.isArray(synthetic)
    ? (synthetic as readonly Timeline[])
    : [synthetic as Timeline];
  const logger = options.logger ?? SILENT_LOGGER;
  const seed = options.seed ?? '1';
  const rng = new Rng(seed).fork('privacy');
  const distance: TrajectoryDistanceOptions = {
    timeScaleDays: options.timeScaleDays ?? DEFAULT_TIME_SCALE_DAYS,
    attributeWeight: options.attributeWeight ?? DEFAULT_ATTRIBUTE_WEIGHT,
  };
  const space = encodeTrajectories([train, holdout, ...shards]);
  const [T, H] = space.sets as [TrajectorySet, TrajectorySet];
  const S = concatTrajectories(space.sets.slice(2));
  const metrics: Omit<PrivacyMetric, 'threshold' | 'pass'>[] = [];

  // Equal-size training and holdout samples for copies and DCR.
  const m = Math.min(T.size, H.size);
  const tRows = permutation(T.size, rng.fork('dcr-train')).slice(0, m).sort();
  const hRows = permutation(H.size, rng.fork('dcr-holdout')).slice(0, m).sort();
  const Tm = subsetTrajectories(space, T, tRows);
  const Hm = subsetTrajectories(space, H, hRows);

  metrics.push(...exactCopies(space, T, H, Tm, Hm, S));

  const nq = Math.min(S.size, options.maxQueries ?? 2000);
  const Sq = subsetTrajectories(
    space,
    S,
    permutation(S.size, rng.fork('dcr-queries')).slice(0, nq).sort(),
  );
  logger.info(MESSAGES.INFO, privacyNearestRecords(nq));
  const progress = (label: string, total: number) => (done: number) =>
    logger.progress?.(label, done, total);
  const dT = new NearestNeighbourIndex(space, Tm, distance).query(
    Sq,
    1,
    progress('nearest training record', nq),
  ).distances;
  const dH = new NearestNeighbourIndex(space, Hm, distance).query(
    Sq,
    1,
    progress('nearest holdout record', nq),
  ).distances;
  metrics.push(...dcrMetrics(dT, dH, rng.fork('bootstrap')));

  // Membership inference: members from training, non-members and reference from holdout.
  const a = Math.min(options.maxAttackRecords ?? 1000, T.size, Math.floor(H.size / 2));
  const memberRows = permutation(T.size, rng.fork('members')).slice(0, a);
  const members = subsetTrajectories(space, T, memberRows);
  const hPerm = permutation(H.size, rng.fork('non-members'));
  const nonMemberRows = hPerm.slice(0, a);
  const nonMembers = subsetTrajectories(space, H, nonMemberRows);
  const reference = subsetTrajectories(space, H, hPerm.slice(a));
  const k = Math.max(1, Math.min(options.domiasK ?? 5, S.size, reference.size));
  logger.info(MESSAGES.INFO, privacyMembershipAttacks(a));
  const synIndex = new NearestNeighbourIndex(space, S, distance);
  const refIndex = new NearestNeighbourIndex(space, reference, distance);
  const memSyn = synIndex.query(members, k);
  const nonSyn = synIndex.query(nonMembers, k);
  const memRef = refIndex.query(members, k);
  const nonRef = refIndex.query(nonMembers, k);
  const attacks: { name: string; member: Float64Array; nonMember: Float64Array }[] = [
    {
      name: 'distance',
      member: column(memSyn.distances, k, 0, (d) => -d),
      nonMember: column(nonSyn.distances, k, 0, (d) => -d),
    },
    {
      name: 'domias',
      member: densityRatio(memSyn.distances, memRef.distances, k),
      nonMember: densityRatio(nonSyn.distances, nonRef.distances, k),
    },
  ];
  if (options.nll) {
    attacks.push({
      name: 'likelihood',
      member: options.nll(train, memberRows).map((v) => -v),
      nonMember: options.nll(holdout, nonMemberRows).map((v) => -v),
    });
  }
  metrics.push(...membershipMetrics(attacks));
  metrics.push(
    ...attributeInference(space, members, nonMembers, T, H, S, distance, options.rareShare ?? 0.1),
  );

  const judged: PrivacyMetric[] = metrics.map((mm) => {
    const threshold = privacyThresholdFor(options.thresholds, mm.id);
    return { ...mm, threshold, pass: judgePrivacyMetric(threshold, mm) };
  });
  return {
    format: 'trajsim-privacy-report',
    formatVersion: 1,
    passed: judged.every((x) => x.pass !== false),
    train: { name: train.name, patients: T.size },
    holdout: { name: holdout.name, patients: H.size },
    synthetic: { name: shards.map((t) => t.name).join(', '), patients: S.size },
    settings: {
      seed,
      timeScaleDays: distance.timeScaleDays!,
      attributeWeight: distance.attributeWeight!,
      dcrRecords: m,
      dcrQueries: nq,
      attackRecords: a,
      referenceRecords: reference.size,
      domiasK: k,
      attacks: attacks.map((x) => x.name),
      holdoutSource: options.holdoutSource ?? 'given',
    },
    metrics: judged,
  };
}

function column(
  distances: Float64Array,
  k: number,
  j: number,
  f: (d: number) => number,
): Float64Array {
  const n = distances.length / k;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(distances[i * k + j]!);
  return out;
}

/**
 * DOMIAS-style score log p̂_syn(x) − log p̂_ref(x) with k-NN density estimates: the ratio of
 * the k-th neighbour radii (the dimension and the sample sizes only rescale the score
 * monotonically, which leaves AUC and TPR unchanged).
 */
function densityRatio(syn: Float64Array, ref: Float64Array, k: number): Float64Array {
  const n = syn.length / k;
  const out = new Float64Array(n);
  const eps = 1e-6;
  for (let i = 0; i < n; i++) {
    out[i] = Math.log(ref[i * k + k - 1]! + eps) - Math.log(syn[i * k + k - 1]! + eps);
  }
  return out;
}
