import { writeFileSync } from 'node:fs';
import { AtomicDir, type OutputOptions } from '../core/atomic-output.js';
import type { InferenceResult } from '../stats/inference/infer-from-timelines.js';
import { type FidelityReport, fidelityReportJson } from '../validate/fidelity-report.js';
import type { LandmarkEvaluation } from '../validate/landmark-evaluation.js';
import { type PrivacyReport, privacyReportJson } from '../validate/privacy/privacy-report.js';
import { withInferenceHtml, withInferenceJson } from './inference-section.js';
import { renderPrivacySection } from './render-privacy.js';
import { renderReportHtml } from './render-report.js';
import { withTwinsEvaluationHtml } from './twins-evaluation-section.js';

/** Writes the named files into `out` as one folder, atomically (all or none). */
function writeFolder(
  out: string,
  files: Readonly<Record<string, string>>,
  options: OutputOptions,
): void {
  const dir = AtomicDir.create(out, options);
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(dir.file(name), text);
    dir.commit();
  } catch (error) {
    dir.abort();
    throw error;
  }
}

/**
 * Writes report.json and report.html as one folder, atomically (both or neither).
 *
 * @param out - the report folder
 * @param json - report.json text
 * @param html - report.html text
 * @param options - overwrite, inputs, logger
 * @throws TrajsimError IO when the folder is taken or cannot be written (disk full, permission)
 * @example
 * writeReportFolder('out/fidelity', '{}\n', '<html></html>', { kind: 'report' })
 */
export function writeReportFolder(
  out: string,
  json: string,
  html: string,
  options: OutputOptions = {},
): void {
  writeFolder(out, { 'report.json': json, 'report.html': html }, { ...options, kind: 'report' });
}

/**
 * Renders a fidelity report (with its inference rows, if any) and writes OUT/report.json and
 * OUT/report.html atomically.
 *
 * @param out - the report folder
 * @param report - the fidelity report (validateTimelineDirs)
 * @param inference - inference results to add (validate --infer); empty for none
 * @param options - overwrite, inputs, logger
 * @param twinsEvaluation - a digital-twin evaluation to add to report.html (validate --twins-evaluation)
 * @returns the report.json text written
 * @throws TrajsimError IO when the folder is taken or cannot be written
 * @example
 * const json = writeFidelityReport('out/fidelity', report, [], { overwrite: true });
 */
export function writeFidelityReport(
  out: string,
  report: FidelityReport,
  inference: readonly InferenceResult[] = [],
  options: OutputOptions = {},
  twinsEvaluation?: LandmarkEvaluation,
): string {
  const json = withInferenceJson(fidelityReportJson(report), inference);
  const html = withTwinsEvaluationHtml(
    withInferenceHtml(renderReportHtml(report), inference),
    twinsEvaluation,
  );
  writeReportFolder(out, json, html, options);
  return json;
}

/**
 * Writes OUT/privacy.json and a standalone OUT/privacy.html atomically (trajsim privacy --out).
 *
 * @param out - the privacy report folder
 * @param report - the privacy report (assessPrivacyDirs)
 * @param options - overwrite, inputs, logger
 * @returns the privacy.json text written
 * @throws TrajsimError IO when the folder is taken or cannot be written
 * @example
 * writePrivacyReport('out/privacy', report, { overwrite: false });
 */
export function writePrivacyReport(
  out: string,
  report: PrivacyReport,
  options: OutputOptions = {},
): string {
  const json = privacyReportJson(report);
  writeFolder(
    out,
    {
      'privacy.json': json,
      'privacy.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trajsim privacy report</title></head><body>${renderPrivacySection(report)}</body></html>\n`,
    },
    { ...options, kind: 'privacy' },
  );
  return json;
}
