import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MessageCode } from '../../src/core/messages.js';
import { selectBackend } from '../../src/model/backend.js';
import {
  AUTO_TRAINING,
  autoGapBins,
  autoWeightDecay,
  countPositiveGaps,
} from '../../src/model/data-driven-defaults.js';
import { trainGru } from '../../src/model/train-gru.js';
import { importColon } from '../helpers/colon.js';
import { useTempDir } from '../helpers/tmp.js';
import { makeToyTimeline } from './toy-timeline.js';

const root = useTempDir('auto-defaults');

beforeAll(async () => {
  await selectBackend('wasm');
});

/** Distinct event days > 0 per patient, counted straight from data/colon/events.csv. */
function colonPositiveDaysFromCsv(): number {
  const days = new Map<string, Set<number>>();
  const lines = readFileSync('data/colon/events.csv', 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const [id, day] = [header.indexOf('patient_id'), header.indexOf('day')];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const d = Number(cells[day]);
    if (d <= 0) continue;
    const set = days.get(cells[id]!) ?? new Set<number>();
    set.add(d);
    days.set(cells[id]!, set);
  }
  let n = 0;
  for (const set of days.values()) n += set.size;
  return n;
}

describe('data-driven training defaults', () => {
  it('counts the positive gaps of colon as its distinct event days after day 0', async () => {
    const colon = await importColon(join(root, 'colon'));
    const all = Int32Array.from({ length: colon.patients.ids.length }, (_, i) => i);
    const gaps = countPositiveGaps(colon, all);
    // a sorted timeline has one positive gap per distinct day > 0 (from day 0 or the day before)
    expect(gaps).toBe(colonPositiveDaysFromCsv());
    expect(gaps).toBe(1390);
    // colon, even whole, is a small-data case: the fewest bins
    expect(autoGapBins(gaps)).toBe(16);
  });

  it('gives each bin at least 50 gaps, in powers of two from 16 to 128', () => {
    const per = AUTO_TRAINING.minGapsPerBin;
    expect(per).toBe(50);
    expect(autoGapBins(0)).toBe(16);
    expect(autoGapBins(32 * per - 1)).toBe(16);
    expect(autoGapBins(32 * per)).toBe(32);
    expect(autoGapBins(64 * per - 1)).toBe(32);
    expect(autoGapBins(64 * per)).toBe(64);
    expect(autoGapBins(128 * per)).toBe(128);
    expect(autoGapBins(1e9)).toBe(128);
  });

  it('decays the weights below 5000 training patients only', () => {
    expect(autoWeightDecay(4999)).toBe(1);
    expect(autoWeightDecay(5000)).toBe(0);
  });

  it('trainGru records the chosen settings, says why, and an explicit option wins', async () => {
    const toy = makeToyTimeline(200, 5);
    const small = { hidden: 8, gapHidden: 8, batchSize: 32, seed: 3, epochs: 1 } as const;
    const said: string[] = [];
    const logger = {
      info: (_code: MessageCode, text: string) => {
        said.push(text);
      },
      warn: () => {},
    };
    const auto = await trainGru(toy, { ...small, logger });
    expect(auto.manifest.hyperparameters['gapBins']).toBe(16);
    expect(auto.manifest.hyperparameters['weightDecay']).toBe(1);
    expect(said.join('\n')).toMatch(
      /chosen from the data: 16 gap bins \(\d+ positive training gaps\), weight decay 1 \(180 training patients\)/,
    );
    const explicit = await trainGru(toy, { ...small, gapBins: 64, weightDecay: 0 });
    expect(explicit.manifest.hyperparameters['gapBins']).toBe(64);
    expect(explicit.manifest.hyperparameters['weightDecay']).toBeUndefined();
  });
});
