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
      'inspectTimeline',
      'readThresholds',
    ]) {
      expect(typeof (trajsim as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('does not export internals (issue 13 item 5)', () => {
    for (const name of [
      'TimelineWriter',
      'mergeSummaries',
      'summarizeTimeline',
      'coxDesign',
      'NearestNeighbourIndex',
      'encodeTrajectories',
      'trajectoryDistance',
      'writeOnnxFiles',
      'createEngineStepModel',
    ]) {
      expect(name in trajsim).toBe(false);
    }
  });
});
