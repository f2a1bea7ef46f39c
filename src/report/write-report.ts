import { writeFileSync } from 'node:fs';
import { AtomicDir, type OutputOptions } from '../core/atomic-output.js';

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
  const dir = AtomicDir.create(out, { ...options, kind: 'report' });
  try {
    writeFileSync(dir.file('report.json'), json);
    writeFileSync(dir.file('report.html'), html);
    dir.commit();
  } catch (error) {
    dir.abort();
    throw error;
  }
}
