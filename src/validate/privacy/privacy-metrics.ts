import type { Rng } from '../../core/rng.js';
import {
  type Interval,
  proportionDifference,
  rocAuc,
  tprAtFpr,
  wilsonInterval,
} from '../../stats/membership-auc.js';
import { NearestNeighbourIndex } from './nearest-neighbours.js';
import type { PrivacyMetric } from './privacy-report.js';
import type { TrajectoryDistanceOptions } from './trajectory-distance.js';
import {
  subsetTrajectories,
  type TrajectorySet,
  type TrajectorySpace,
  trajectoryKey,
} from './trajectory-space.js';

// The metric families of assessPrivacy (assess-privacy.ts), each from its distances or records:
// exact copies, distance to closest record, membership inference, attribute inference.

const MIA_FPR = 0.01;
const BOOTSTRAPS = 200;
function interval(id: string, label: string, unit: string, ci: Interval, nullValue: number) {
  return { id, label, unit, value: ci.value, lower: ci.lower, upper: ci.upper, nullValue };
}

/** One metric family of assessPrivacy (assess-privacy.ts), not judged yet (no threshold, no verdict). */
export function exactCopies(
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

/** One metric family of assessPrivacy (assess-privacy.ts), not judged yet (no threshold, no verdict). */
export function dcrMetrics(
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

/** One metric family of assessPrivacy (assess-privacy.ts), not judged yet (no threshold, no verdict). */
export function membershipMetrics(
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

/** One metric family of assessPrivacy (assess-privacy.ts), not judged yet (no threshold, no verdict). */
export function attributeInference(
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
