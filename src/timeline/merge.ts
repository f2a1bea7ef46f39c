import { checkOutputDir } from '../core/atomic-output.js';
import { compareCodeUnits } from '../core/compare.js';
import { TrajsimError } from '../core/errors.js';
import type { Logger } from '../core/messages.js';
import { readTimeline, readTimelineManifest } from './read.js';
import type { AttributeSpec, TimelineManifest } from './types.js';
import { TimelineWriter } from './writer.js';

export interface MergeOptions {
  readonly name?: string;
  /** timeline.json `source` (default: the first input's when all inputs agree). */
  readonly source?: string;
  /** Extra files written into the output with its data (see TimelineWriter.close). */
  readonly extraFiles?: (manifest: TimelineManifest) => Readonly<Record<string, string>>;
  readonly overwrite?: boolean;
  readonly batchRows?: number;
  /** Told about stale temporaries removed. */
  readonly logger?: Logger;
}

function sameAttributeNames(a: readonly AttributeSpec[], b: readonly AttributeSpec[]): boolean {
  return a.length === b.length && a.every((x, i) => x.name === b[i]!.name && x.kind === b[i]!.kind);
}

/**
 * Concatenates timeline directories (e.g. the shards of a generation run, in shard order) into
 * one, streaming one input at a time. Inputs must have the same attribute columns; codes and
 * categorical levels are unioned (kept as they are when identical, so merging the shards of
 * one run gives the same bytes as the unsharded run). Throws INVALID_INPUT for a patient id
 * that appears in two inputs.
 *
 * @example
 * await mergeTimelines(['out/part-1', 'out/part-2'], 'out/all') // => manifest of the union
 */
export async function mergeTimelines(
  dirs: readonly string[],
  out: string,
  options: MergeOptions = {},
): Promise<TimelineManifest> {
  if (dirs.length === 0)
    throw new TrajsimError('INVALID_ARGUMENT', 'merge needs at least one input directory');
  checkOutputDir(out, { overwrite: options.overwrite ?? false, kind: 'timeline', inputs: dirs });
  const manifests = dirs.map((d) => readTimelineManifest(d));
  const first = manifests[0]!;
  manifests.forEach((m, i) => {
    if (!sameAttributeNames(first.attributes, m.attributes)) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `${dirs[i]} has attributes ${m.attributes.map((a) => a.name).join(', ')}; ${dirs[0]} has ${first.attributes.map((a) => a.name).join(', ')}`,
      );
    }
  });
  const allSame = manifests.every(
    (m) =>
      JSON.stringify(m.codes) === JSON.stringify(first.codes) &&
      JSON.stringify(m.attributes) === JSON.stringify(first.attributes),
  );
  const codes = allSame
    ? first.codes
    : [...new Set(manifests.flatMap((m) => m.codes))].sort(compareCodeUnits);
  const attributes: AttributeSpec[] = allSame
    ? [...first.attributes]
    : first.attributes.map((a, k) =>
        a.kind === 'numeric'
          ? a
          : {
              ...a,
              levels: [
                ...new Set(
                  manifests.flatMap(
                    (m) => (m.attributes[k] as { levels: readonly string[] }).levels,
                  ),
                ),
              ].sort(compareCodeUnits),
            },
      );
  const writer = await TimelineWriter.create(out, {
    name: options.name ?? first.name,
    source:
      allSame && manifests.length === 1
        ? first.source
        : `merge of ${dirs.length} timelines: ${first.source}`,
    attributes,
    codes,
    overwrite: options.overwrite ?? false,
    inputs: dirs,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.batchRows ? { batchRows: options.batchRows } : {}),
  });
  const seen = new Set<string>();
  const codeIndex = new Map(codes.map((c, i) => [c, i]));
  try {
    for (const dir of dirs) {
      const t = await readTimeline(dir);
      const codeMap = Int32Array.from(t.events.codes, (c) => codeIndex.get(c)!);
      const levelMaps = t.patients.attributes.map((a, k) => {
        const target = attributes[k]!;
        if (a.kind !== 'categorical' || target.kind !== 'categorical') return undefined;
        const levelIndex = new Map(target.levels.map((l, i) => [l, i]));
        return Int32Array.from(a.levels, (l) => levelIndex.get(l)!);
      });
      const row = new Float64Array(attributes.length);
      for (let p = 0; p < t.patients.ids.length; p++) {
        const id = t.patients.ids[p]!;
        if (seen.has(id))
          throw new TrajsimError(
            'INVALID_INPUT',
            `patient ${id} appears in more than one input (again in ${dir})`,
          );
        seen.add(id);
        t.patients.attributes.forEach((a, k) => {
          if (a.kind === 'categorical') {
            const c = a.codes[p]!;
            row[k] = c < 0 ? -1 : levelMaps[k]![c]!;
          } else row[k] = a.values[p]!;
        });
        writer.addPatient(id, t.patients.indexDay[p]!, row);
        for (let i = t.offsets[p]!; i < t.offsets[p + 1]!; i++) {
          writer.addEvent(t.events.day[i]!, codeMap[t.events.code[i]!]!, t.events.value[i]!);
        }
        if ((p & 8191) === 8191) await writer.commit();
      }
    }
    return await writer.close(options.extraFiles);
  } catch (cause) {
    await writer.abort();
    throw cause;
  }
}
