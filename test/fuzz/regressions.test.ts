/**
 * Replays every fuzz case that ever failed (test/fuzz/regressions/*.json): each must now be
 * refused with a one-line user error and nothing written. A model case with `manifest: null`
 * keeps models/default's manifest; `weightsLength: -1` keeps the weights' length.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../helpers/tmp.js';
import {
  type FuzzCase,
  runCliCase,
  runCsvCase,
  runModelCase,
  runRulesCase,
  runScenarioCase,
  runThresholdsCase,
} from './surfaces.js';

const DIR = 'test/fuzz/regressions';
const root = useTempDir('fuzz-regressions');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('fuzz regressions', () => {
  it('there are stored cases', () => expect(files.length).toBeGreaterThan(0));
  it.each(files)('%s is refused', async (file) => {
    const c = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as FuzzCase & { note: string };
    const dir = join(root, file.replace(/\.json$/, ''));
    switch (c.surface) {
      case 'csv':
        expect(await runCsvCase(dir, c)).toBe('refused');
        break;
      case 'scenario':
        expect(runScenarioCase(c.text)).toBe('refused');
        break;
      case 'thresholds':
        expect(runThresholdsCase(c.text)).toBe('refused');
        break;
      case 'model': {
        const manifest = c.manifest ?? readFileSync('models/default/manifest.json', 'utf8');
        const weightsLength =
          c.weightsLength < 0 ? statSync('models/default/weights.bin').size : c.weightsLength;
        expect(runModelCase('models/default', dir, { ...c, manifest, weightsLength })).toBe(
          'refused',
        );
        break;
      }
      case 'rules':
        expect(runRulesCase(dir, c)).toBe('refused');
        break;
      case 'cli': {
        mkdirSync(dir, { recursive: true });
        const out = join(dir, 'out');
        expect(await runCliCase([...c.argv, '--out', out], out)).toBe(2);
        break;
      }
    }
  });
});
