/**
 * Reorder of sampleRange: a finished candidate is accepted (it waits in the reorder buffer) or
 * retried; finished patients are written strictly in global index order.
 */
import { TrajsimError } from '../core/errors.js';
import { type GeneratedPatient, syntheticPatientId } from './generation-types.js';
import type { RangeState } from './range-state.js';

/** A finished candidate: accepted (waits in the reorder buffer) or retried. */
export function finishCandidate(s: RangeState, i: number): void {
  const { rowPatient, rowAttempt, indexDay, attrs, nA, evDay, evCode, evValue, count, o } = s;
  const { hooks, maxEvents } = o;
  const g = rowPatient[i]!;
  const attempt = rowAttempt[i]!;
  const patient: GeneratedPatient = {
    globalIndex: g,
    attempt,
    indexDay: indexDay[i]!,
    attributes: attrs.slice(i * nA, (i + 1) * nA),
    days: evDay.slice(i * maxEvents, i * maxEvents + count[i]!),
    codes: evCode.slice(i * maxEvents, i * maxEvents + count[i]!),
    values: evValue.slice(i * maxEvents, i * maxEvents + count[i]!),
  };
  s.freeSlots[s.nFree++] = i;
  if (!hooks.accept || hooks.accept(patient)) {
    s.done.set(g, patient);
  } else if (attempt + 1 >= o.maxAttempts) {
    throw new TrajsimError(
      'INFEASIBLE',
      `patient ${syntheticPatientId(g)}: no candidate met the criteria in ${o.maxAttempts} attempts; the criteria are (nearly) infeasible for this model`,
    );
  } else {
    s.retries.push({ g, attempt: attempt + 1 });
  }
}

/** Writes the finished patients that are next in index order. */
export async function flush(s: RangeState): Promise<void> {
  const { done, writer, counts, o, from, to } = s;
  const { hooks } = o;
  for (let p = done.get(s.nextOut); p !== undefined; p = done.get(s.nextOut)) {
    done.delete(s.nextOut);
    const id = hooks.patientId?.(s.nextOut) ?? syntheticPatientId(s.nextOut);
    writer.addPatient(id, p.indexDay, p.attributes);
    for (let e = 0; e < p.days.length; e++) writer.addEvent(p.days[e]!, p.codes[e]!, p.values[e]!);
    hooks.written?.(p as GeneratedPatient);
    counts.written++;
    counts.events += p.days.length;
    s.nextOut++;
  }
  if (counts.written - s.writtenAtCommit >= s.cap || s.nextOut >= to) {
    s.writtenAtCommit = counts.written;
    await writer.commit();
    const elapsed = (performance.now() - s.started) / 1000;
    o.logger.progress?.(
      'generate',
      (o.progressOffset ?? 0) + counts.written,
      o.progressTotal ?? to - from,
      `${Math.round(counts.events / Math.max(elapsed, 1e-9))} events/s`,
    );
  }
}
