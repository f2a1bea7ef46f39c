import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = `${ROOT}dist/cli/main.js`;

/** Runs the built CLI (dist/, built by `npm test` and `npm ci`) and returns its streams and status. */
export function runTrajsim(
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: options.timeoutMs ?? 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const PROJECT_ROOT = ROOT;
