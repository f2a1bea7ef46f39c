import { importTimeline } from '../../src/timeline/import.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';

/** colon's 0/1 flags, imported as categorical (as scripts/train-default-model.sh does). */
export const COLON_CATEGORICAL = ['obstruct', 'perfor', 'adhere', 'node4'];

/**
 * data/colon imported into `out` with its 0/1 flags categorical: the timeline models/default
 * was trained on (same content hash), read back.
 */
export async function importColon(out: string): Promise<Timeline> {
  await importTimeline({
    patients: 'data/colon/patients.csv',
    events: 'data/colon/events.csv',
    categorical: COLON_CATEGORICAL,
    out,
  });
  return readTimeline(out);
}
