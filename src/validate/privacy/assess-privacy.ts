import {
  type Logger,
  MESSAGES,
  privacyMembershipAttacks,
  privacyNearestRecords,
  SILENT_LOGGER,
} from '../../core/messages.js';
import { Rng } from '../../core/rng.js';
import {
  type Interval,
  proportionDifference,
  rocAuc,
  tprAtFpr,
  wilsonInterval,
} from '../../stats/membership-auc.js';
import type { Timeline } from '../../timeline/types.js';
import { NearestNeighbourIndex } from './nearest-neighbours.js';
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
  type TrajectorySpace,
  trajectoryKey,
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

const MIA_FPR = 0.01;
const BOOTSTRAPS = 200;

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

function interval(id: string, label: string, unit: string, ci: Interval, nullValue: number) {
  return { id, label, unit, value: ci.value, lower: ci.lower, upper: ci.upper, nullValue };
}

function exactCopies(
  space: TrajectorySpace,
  T: TrajectorySet,
  H: TrajectorySet,
  Tm: TrajectorySet,
  Hm: TrajectorySet,
  S: TrajectorySet,
): Omit<PrivacyMetric, 'threshold' | 'pass'>[] {
  const realCount = new Map<string, number>();
  for (const set of [T, H]) {
    for (let p = 0; p < set.size; p++) {
      const key = trajectoryKey(space, set, p);
      realCount.set(key, (realCount.get(key) ?? 0) + 1);
    }
  }
  let duplicates = 0;
  for (const set of [T, H]) {
    for (let p = 0; p < set.size; p++)
      if (realCount.get(trajectoryKey(space, set, p))! > 1) duplicates++;
  }
  const keysOf = (set: TrajectorySet) => {
    const keys = new Set<string>();
    for (let p = 0; p < set.size; p++) keys.add(trajectoryKey(space, set, p));
    return keys;
  };
  const tKeys = keysOf(Tm);
  const hKeys = keysOf(Hm);
  let copiesT = 0;
  let copiesH = 0;
  let anyT = 0;
  for (let p = 0; p < S.size; p++) {
    const key = trajectoryKey(space, S, p);
    if (tKeys.has(key)) anyT++;
    if ((realCount.get(key) ?? 0) !== 1) continue;
    if (tKeys.has(key)) copiesT++;
    if (hKeys.has(key)) copiesH++;
  }
  const excess = proportionDifference(copiesT, S.size, copiesH, S.size);
  const share = wilsonInterval(copiesT, S.size);
  const realShare = wilsonInterval(duplicates, T.size + H.size);
  return [
    {
      ...interval(
        'exact_copies.excess_share',
        'Exact copies of training records beyond copies of holdout records',
        'share of synthetic',
        excess,
        0,
      ),
      details: {
        copies_of_training: copiesT,
        copies_of_holdout: copiesH,
        copies_of_training_incl_common: anyT,
        synthetic: S.size,
      },
      note: 'records identical in codes, days and attributes; trajectories that occur more than once in the real data are excluded',
    },
    {
      ...interval(
        'exact_copies.share',
        'Exact copies of training records',
        'share of synthetic',
        share,
        0,
      ),
      details: { copies: copiesT },
    },
    {
      ...interval(
        'exact_copies.real_duplicate_share',
        'Real records identical to another real record (context)',
        'share of real',
        realShare,
        realShare.value,
      ),
      details: { duplicates, real: T.size + H.size },
    },
  ];
}

function dcrMetrics(
  dT: Float64Array,
  dH: Float64Array,
  rng: Rng,
): Omit<PrivacyMetric, 'threshold' | 'pass'>[] {
  const n = dT.length;
  let closer = 0;
  let ties = 0;
  let sumT = 0;
  let sumH = 0;
  for (let i = 0; i < n; i++) {
    if (dT[i]! < dH[i]!) closer++;
    else if (dT[i] === dH[i]) ties++;
    sumT += dT[i]!;
    sumH += dH[i]!;
  }
  const share = wilsonInterval(closer + ties / 2, n);
  const ratio = sumH > 0 ? sumT / sumH : Number.NaN;
  const boot = new Float64Array(BOOTSTRAPS);
  for (let b = 0; b < BOOTSTRAPS; b++) {
    let t = 0;
    let h = 0;
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      t += dT[j]!;
      h += dH[j]!;
    }
    boot[b] = h > 0 ? t / h : Number.NaN;
  }
  boot.sort();
  const q = (p: number) => boot[Math.min(BOOTSTRAPS - 1, Math.floor(p * BOOTSTRAPS))]!;
  const sorted = (d: Float64Array) => Float64Array.from(d).sort();
  const sT = sorted(dT);
  const sH = sorted(dH);
  const pct = (s: Float64Array, p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return [
    {
      ...interval(
        'dcr.share',
        'Holdout DCR share: synthetic records closer to a training than to a holdout record',
        'share of synthetic',
        share,
        0.5,
      ),
      details: { closer_to_training: closer, ties, synthetic: n },
      note: 'ties count one half; 0.5 = no memorisation',
    },
    {
      id: 'dcr.nn_ratio',
      label: 'Nearest-neighbour distance ratio: mean DCR to training ÷ mean DCR to holdout',
      unit: 'ratio',
      value: ratio,
      lower: q(0.025),
      upper: q(0.975),
      nullValue: 1,
      details: {
        mean_dcr_training: sumT / Math.max(1, n),
        mean_dcr_holdout: sumH / Math.max(1, n),
        p05_dcr_training: pct(sT, 0.05),
        p05_dcr_holdout: pct(sH, 0.05),
        median_dcr_training: pct(sT, 0.5),
        median_dcr_holdout: pct(sH, 0.5),
      },
      note: `95% interval: percentile bootstrap (${BOOTSTRAPS} resamples of the synthetic records)`,
    },
  ];
}

function membershipMetrics(
  attacks: readonly { name: string; member: Float64Array; nonMember: Float64Array }[],
): Omit<PrivacyMetric, 'threshold' | 'pass'>[] {
  const out: Omit<PrivacyMetric, 'threshold' | 'pass'>[] = [];
  let bestAuc: { name: string; ci: Interval } | undefined;
  let bestTpr: { name: string; ci: Interval } | undefined;
  for (const attack of attacks) {
    const auc = rocAuc(attack.member, attack.nonMember);
    const tpr = tprAtFpr(attack.member, attack.nonMember, MIA_FPR);
    out.push({
      ...interval(
        `mia.auc.${attack.name}`,
        `Membership inference AUC, ${attack.name} attack`,
        'AUC',
        auc,
        0.5,
      ),
      details: { members: attack.member.length, non_members: attack.nonMember.length },
    });
    out.push({
      ...interval(
        `mia.tpr_at_1pct_fpr.${attack.name}`,
        `Membership inference TPR at 1% FPR, ${attack.name} attack`,
        'TPR',
        tpr,
        MIA_FPR,
      ),
      details: {},
    });
    if (!bestAuc || auc.value > bestAuc.ci.value) bestAuc = { name: attack.name, ci: auc };
    if (!bestTpr || tpr.value > bestTpr.ci.value) bestTpr = { name: attack.name, ci: tpr };
  }
  const dataOnly = attacks.filter((x) => x.name !== 'likelihood');
  if (dataOnly.length > 0 && dataOnly.length < attacks.length) {
    let best: { name: string; ci: Interval } | undefined;
    for (const attack of dataOnly) {
      const auc = rocAuc(attack.member, attack.nonMember);
      if (!best || auc.value > best.ci.value) best = { name: attack.name, ci: auc };
    }
    out.unshift({
      ...interval(
        'mia.max_auc_data_only',
        'Membership-inference risk when only the synthetic data is released: max AUC over the attacks that do not use the model',
        'AUC',
        best!.ci,
        0.5,
      ),
      details: {},
      note: `strongest attack: ${best!.name}`,
    });
  }
  if (bestAuc && bestTpr) {
    out.unshift(
      {
        ...interval(
          'mia.max_auc',
          'Membership-inference risk: max AUC over attacks',
          'AUC',
          bestAuc.ci,
          0.5,
        ),
        details: {},
        note: `strongest attack: ${bestAuc.name}`,
      },
      {
        ...interval(
          'mia.max_tpr_at_1pct_fpr',
          'Membership-inference risk: max TPR at 1% FPR over attacks',
          'TPR',
          bestTpr.ci,
          MIA_FPR,
        ),
        details: {},
        note: `strongest attack: ${bestTpr.name}`,
      },
    );
  }
  return out;
}

/** Keys of the categorical attribute combination of each record. */
function comboKeys(space: TrajectorySpace, set: TrajectorySet): string[] {
  const C = space.categoricalNames.length;
  return Array.from({ length: set.size }, (_, p) =>
    set.categorical.subarray(p * C, (p + 1) * C).join(','),
  );
}

function attributeInference(
  space: TrajectorySpace,
  members: TrajectorySet,
  nonMembers: TrajectorySet,
  T: TrajectorySet,
  H: TrajectorySet,
  S: TrajectorySet,
  distance: TrajectoryDistanceOptions,
  rareShare: number,
): Omit<PrivacyMetric, 'threshold' | 'pass'>[] {
  const C = space.categoricalNames.length;
  const id = 'attribute_inference.advantage';
  const label =
    'Attribute inference on the rarest attribute combinations: accuracy on members − on non-members';
  if (C === 0 || S.size === 0) {
    return [
      {
        id,
        label,
        unit: 'accuracy difference',
        value: Number.NaN,
        lower: Number.NaN,
        upper: Number.NaN,
        nullValue: 0,
        details: {},
        note: 'undefined: no categorical attribute',
      },
    ];
  }
  // The rarest combinations covering rareShare of the real records.
  const counts = new Map<string, number>();
  for (const set of [T, H])
    for (const key of comboKeys(space, set)) counts.set(key, (counts.get(key) ?? 0) + 1);
  const byCount = [...counts.entries()].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
  const rare = new Set<string>();
  let covered = 0;
  const total = T.size + H.size;
  for (let i = 0; i < byCount.length && covered < rareShare * total; ) {
    const c = byCount[i]![1];
    while (i < byCount.length && byCount[i]![1] === c) {
      rare.add(byCount[i]![0]);
      covered += c;
      i++;
    }
  }
  const targets = (set: TrajectorySet) => {
    const keys = comboKeys(space, set);
    return Int32Array.from(keys.flatMap((k, p) => (rare.has(k) ? [p] : [])));
  };
  const memTargets = subsetTrajectories(space, members, targets(members));
  const nonTargets = subsetTrajectories(space, nonMembers, targets(nonMembers));
  let memCorrect = 0;
  let nonCorrect = 0;
  let baseCorrect = 0;
  for (let j = 0; j < C; j++) {
    const index = new NearestNeighbourIndex(space, S, { ...distance, excludeCategorical: j });
    const levels = space.categoricalLevels[j]!.length;
    const freq = new Float64Array(levels + 1);
    for (let p = 0; p < S.size; p++) freq[S.categorical[p * C + j]! + 1]!++;
    let majority = 0;
    for (let l = 1; l < freq.length; l++) if (freq[l]! > freq[majority]!) majority = l;
    const count = (set: TrajectorySet) => {
      if (set.size === 0) return 0;
      const nearest = index.query(set, 1).nearest;
      let correct = 0;
      for (let p = 0; p < set.size; p++) {
        if (S.categorical[nearest[p]! * C + j] === set.categorical[p * C + j]) correct++;
      }
      return correct;
    };
    memCorrect += count(memTargets);
    nonCorrect += count(nonTargets);
    for (let p = 0; p < memTargets.size; p++)
      if (memTargets.categorical[p * C + j] === majority - 1) baseCorrect++;
  }
  const nm = memTargets.size * C;
  const nn = nonTargets.size * C;
  const adv = proportionDifference(memCorrect, nm, nonCorrect, nn);
  return [
    {
      ...interval(id, label, 'accuracy difference', adv, 0),
      details: {
        rare_combinations: rare.size,
        member_targets: memTargets.size,
        non_member_targets: nonTargets.size,
        accuracy_members: nm > 0 ? memCorrect / nm : Number.NaN,
        accuracy_non_members: nn > 0 ? nonCorrect / nn : Number.NaN,
        accuracy_majority_baseline: nm > 0 ? baseCorrect / nm : Number.NaN,
      },
      note: "the attacker knows a target's events and other attributes and takes the hidden categorical attribute from the nearest synthetic record; baseline: the same attack on holdout patients (and the majority guess)",
    },
  ];
}
