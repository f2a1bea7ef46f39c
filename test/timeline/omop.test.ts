import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/core/messages.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { exportTimeline } from '../../src/timeline/export.js';
import { importTimeline } from '../../src/timeline/import.js';
import { exportOmop, OMOP_TABLES } from '../../src/timeline/omop/export-omop.js';
import { importOmop } from '../../src/timeline/omop/import-omop.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('omop');
const MAP = 'data/omop-concept-map.csv';
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'timeline.json'), 'utf8'));

/** Event counts per code of a bundled events.csv, counted from the file itself. */
function codeCounts(dataset: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(join('data', dataset, 'events.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)) {
    const code = line.split(',')[2]!;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return counts;
}

describe('timeline → OMOP CDM → timeline', () => {
  for (const dataset of ['colon', 'mgus2', 'cgd']) {
    it(`${dataset}: the round trip gives the same timeline (same content hash)`, async () => {
      const timeline = join(root, dataset);
      await importTimeline({
        patients: `data/${dataset}/patients.csv`,
        events: `data/${dataset}/events.csv`,
        out: timeline,
      });
      const summary = await exportOmop(timeline, join(root, `${dataset}-omop`), {
        conceptMap: MAP,
      });
      expect(summary.unmapped).toEqual({});
      const counts = codeCounts(dataset);
      expect(summary.rows.person).toBe(manifest(timeline).counts.patients);
      expect(summary.rows.death).toBe(counts.get('DEATH') ?? 0);
      // first occurrences: one disease episode per DIAGNOSIS event
      const episodes = readFileSync(join(root, `${dataset}-omop`, 'episode.csv'), 'utf8').split(
        '\n',
      );
      expect(episodes.filter((l) => l.split(',')[2] === '32528').length).toBe(
        counts.get('DIAGNOSIS'),
      );
      const back = join(root, `${dataset}-back`);
      await importOmop({ omop: join(root, `${dataset}-omop`), out: back });
      expect(manifest(back).contentHash).toBe(manifest(timeline).contentHash);
    });
  }

  it('the reference process round-trips (compared through the CSV export)', async () => {
    const ref = join(root, 'ref');
    await simulateReference(ref, { patients: 200, seed: '3' });
    await exportOmop(ref, join(root, 'ref-omop'), { conceptMap: MAP });
    await importOmop({ omop: join(root, 'ref-omop'), out: join(root, 'ref-back') });
    await exportTimeline(ref, join(root, 'ref-a'));
    await exportTimeline(join(root, 'ref-back'), join(root, 'ref-b'));
    for (const f of ['patients.csv', 'events.csv']) {
      expect(readFileSync(join(root, 'ref-b', f), 'utf8')).toBe(
        readFileSync(join(root, 'ref-a', f), 'utf8'),
      );
    }
  });

  it('unmapped codes are counted, warned about and kept (OBSERVATION, concept 0)', async () => {
    const logger = createMemoryLogger();
    const out = join(root, 'colon-nomap');
    const summary = await exportOmop(join(root, 'colon'), out, { logger });
    const counts = codeCounts('colon');
    counts.delete('DEATH');
    counts.delete('END_OF_FOLLOWUP');
    expect(summary.unmapped).toEqual(Object.fromEntries(counts));
    expect(logger.records.map((r) => r.code)).toContain('OMOP_UNMAPPED');
    await importOmop({ omop: out, out: join(root, 'colon-nomap-back') });
    expect(manifest(join(root, 'colon-nomap-back')).contentHash).toBe(
      manifest(join(root, 'colon')).contentHash,
    );
  });

  it('DuckDB counts the OMOP tables: conditions + drugs + observations + deaths = inspect', async () => {
    const dir = join(root, 'colon-omop').replaceAll("'", "''");
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const result = await connection.runAndReadAll(
      `SELECT code, count(*)::INTEGER AS n FROM (
         SELECT condition_source_value AS code FROM '${dir}/condition_occurrence.csv'
         UNION ALL SELECT drug_source_value FROM '${dir}/drug_exposure.csv'
         UNION ALL SELECT observation_source_value FROM '${dir}/observation.csv'
           WHERE observation_source_value NOT LIKE 'trajsim_attribute:%'
         UNION ALL SELECT 'DEATH' FROM '${dir}/death.csv') GROUP BY 1 ORDER BY 1`,
    );
    const rows = result.getRowObjectsJson() as { code: string; n: number }[];
    connection.closeSync();
    instance.closeSync();
    const counts = codeCounts('colon');
    counts.delete('END_OF_FOLLOWUP');
    expect(Object.fromEntries(rows.map((r) => [r.code, r.n]))).toEqual(Object.fromEntries(counts));
  });

  it('colon as OMOP Parquet: typed tables that DuckDB reads, and the round trip keeps the content hash', async () => {
    const out = join(root, 'colon-omop-pq');
    const summary = await exportOmop(join(root, 'colon'), out, {
      conceptMap: MAP,
      format: 'parquet',
    });
    expect(readdirSync(out).sort()).toEqual(
      Object.keys(OMOP_TABLES)
        .map((t) => `${t}.parquet`)
        .sort(),
    );
    const dir = out.replaceAll("'", "''");
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const query = async <T = { n: number }>(sql: string) =>
      (await connection.runAndReadAll(sql)).getRowObjectsJson() as T[];
    const counted = await query<{ code: string; n: number }>(
      `SELECT code, count(*)::INTEGER AS n FROM (
         SELECT condition_source_value AS code FROM '${dir}/condition_occurrence.parquet'
         UNION ALL SELECT drug_source_value FROM '${dir}/drug_exposure.parquet'
         UNION ALL SELECT observation_source_value FROM '${dir}/observation.parquet'
           WHERE observation_source_value NOT LIKE 'trajsim_attribute:%'
         UNION ALL SELECT 'DEATH' FROM '${dir}/death.parquet') GROUP BY 1 ORDER BY 1`,
    );
    const types = await query<Record<string, unknown>>(
      `SELECT typeof(condition_start_date) AS date, typeof(person_id) AS id,
              typeof(trajsim_value) AS value, count(trajsim_value)::INTEGER AS values_present
       FROM '${dir}/condition_occurrence.parquet' GROUP BY ALL`,
    );
    const rows: Record<string, unknown> = {};
    for (const table of Object.keys(OMOP_TABLES)) {
      const [r] = await query(`SELECT count(*)::INTEGER AS n FROM '${dir}/${table}.parquet'`);
      rows[table] = r!.n;
    }
    // the CSV tables of the first test, read by DuckDB: the same episodes, end dates included
    const csvDir = join(root, 'colon-omop').replaceAll("'", "''");
    const [diff] = await query(
      `SELECT count(*)::INTEGER AS n FROM (
         (SELECT * FROM '${csvDir}/episode.csv' EXCEPT SELECT * FROM '${dir}/episode.parquet')
         UNION ALL (SELECT * FROM '${dir}/episode.parquet' EXCEPT SELECT * FROM '${csvDir}/episode.csv'))`,
    );
    connection.closeSync();
    instance.closeSync();
    const counts = codeCounts('colon');
    counts.delete('END_OF_FOLLOWUP');
    expect(Object.fromEntries(counted.map((r) => [r.code, r.n]))).toEqual(
      Object.fromEntries(counts),
    );
    // colon events carry no values: a missing value is a null, not 0 or NaN
    expect(types).toEqual([{ date: 'DATE', id: 'INTEGER', value: 'DOUBLE', values_present: 0 }]);
    expect(rows).toEqual(summary.rows);
    expect(diff!.n).toBe(0);
    const back = join(root, 'colon-pq-back');
    await importOmop({ omop: out, out: back });
    expect(manifest(back).contentHash).toBe(manifest(join(root, 'colon')).contentHash);
  });
});
