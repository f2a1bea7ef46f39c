import { describe, expect, it } from 'vitest';
import * as trajsim from '../src/index.js';

describe('the public API', () => {
  it('exports the pipeline: import, reference, train, generate, validate, report', () => {
    for (const name of [
      'importTimeline',
      'exportTimeline',
      'exportOmop',
      'importOmop',
      'readParquetBatches',
      'writeParquetBatches',
      'readTimeline',
      'simulateReference',
      'trainModel',
      'generateCohort',
      'runGeneration',
      'kaplanMeier',
      'coxPh',
      'validateTimelineDirs',
      'assessPrivacy',
      'renderReportHtml',
      'mineRules',
      'auditRules',
    ]) {
      expect(typeof (trajsim as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
