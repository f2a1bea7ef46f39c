import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('duckdb');

/** Rows of a DuckDB query as plain objects. */
async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('DuckDB reads the Parquet export directly', () => {
  it('SELECT code, count(*) FROM events.parquet gives the counts of inspect (colon)', async () => {
    const timeline = join(root, 'colon');
    const out = join(root, 'colon-pq');
    expect(
      runTrajsim([
        'import',
        '--patients',
        'data/colon/patients.csv',
        '--events',
        'data/colon/events.csv',
        '--out',
        timeline,
      ]).status,
    ).toBe(0);
    expect(runTrajsim(['export', timeline, '--format', 'parquet', '--out', out]).status).toBe(0);
    const inspect = JSON.parse(runTrajsim(['inspect', timeline, '--json']).stdout) as {
      patients: number;
      codes: { code: string; events: number; patients: number }[];
    };
    const events = join(out, 'events.parquet').replaceAll("'", "''");
    const rows = await query(
      `SELECT code, count(*)::INTEGER AS events, count(DISTINCT patient_id)::INTEGER AS patients FROM '${events}' GROUP BY 1 ORDER BY 1`,
    );
    const expected = [...inspect.codes].sort((a, b) => (a.code < b.code ? -1 : 1));
    expect(rows).toEqual(expected.map((c) => ({ ...c })));
    const patients = join(out, 'patients.parquet').replaceAll("'", "''");
    const [count] = await query(
      `SELECT count(*)::INTEGER AS n, min(index_date)::VARCHAR AS first FROM '${patients}'`,
    );
    expect(count!['n']).toBe(inspect.patients);
    // data/colon/README.md: index dates are drawn in 2000-01-01..2002-12-31
    expect(String(count!['first']) >= '2000-01-01').toBe(true);
    expect(String(count!['first']) <= '2002-12-31').toBe(true);
    // dates in events = index_date + day, checked in SQL against the patients table
    const [mismatch] = await query(
      `SELECT count(*)::INTEGER AS n FROM '${events}' e JOIN '${patients}' p USING (patient_id) WHERE e.date <> p.index_date + e.day`,
    );
    expect(mismatch!['n']).toBe(0);
  });
});
