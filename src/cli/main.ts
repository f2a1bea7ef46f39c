#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { abortActiveOutputs, describeIoError } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import { interruptedBySignal } from '../core/messages.js';
import { VERSION } from '../core/version.js';
import { COMMANDS } from './commands/index.js';
import { createCliContext } from './context.js';

const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/**
 * Runs the trajsim CLI with `argv` (without node and script). Returns the exit code: 0 ok,
 * 1 a check failed (e.g. a fidelity gate), 2 bad input or usage. Errors print one line
 * (file:line: field: reason); `--debug` adds the stack.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const quiet = argv.includes('--quiet');
  const context = createCliContext({ quiet });
  const program = new Command('trajsim')
    .description(
      'Learn oncology patient timelines, generate synthetic cohorts from scenarios, and prove their temporal fidelity.\n\n' +
        'Pipeline: import → train → generate → validate (see README.md for a tour).',
    )
    .version(VERSION)
    .option('--debug', 'print stack traces on errors')
    .option('--quiet', 'no progress or notes on stderr')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
    })
    .showHelpAfterError('(run with --help for usage)');
  for (const register of COMMANDS) register(program, context);
  let exitCode: number = EXIT.OK;
  program.hook('postAction', (_cmd, action) => {
    const code = action.getOptionValue('__exitCode') as number | undefined;
    if (code !== undefined) exitCode = code;
  });
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (error instanceof TrajsimError) {
      process.stderr.write(`trajsim: error [${error.code}]: ${error.message}\n`);
      if (debug) process.stderr.write(`${error.stack}\n`);
      return error.code === 'INTERNAL' ? EXIT.FAILED : EXIT.USAGE;
    }
    const errno = error as NodeJS.ErrnoException | undefined;
    if (typeof errno?.code === 'string' && typeof errno.syscall === 'string') {
      // An operating-system failure (disk full, permission denied, ...) is not a bug of ours.
      const where = errno.path ? `${errno.path}: ` : '';
      process.stderr.write(`trajsim: error [IO]: ${where}${describeIoError(errno)}\n`);
      if (debug) process.stderr.write(`${errno.stack}\n`);
      return EXIT.USAGE;
    }
    process.stderr.write(
      `trajsim: internal error: ${(error as Error)?.message ?? String(error)}\n`,
    );
    if (debug) process.stderr.write(`${(error as Error)?.stack}\n`);
    else process.stderr.write('(run again with --debug for the stack trace; please report it)\n');
    return EXIT.FAILED;
  }
}

/** Lets a command set the process exit code without throwing (e.g. a failed gate). */
export function setExitCode(command: Command, code: number): void {
  command.setOptionValue('__exitCode', code);
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // `trajsim inspect x --json | head`: a closed pipe ends the output quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  // SIGINT/SIGTERM: remove our unfinished outputs, say so in one line, exit 130/143.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      const removed = abortActiveOutputs();
      process.stderr.write(`${interruptedBySignal(signal, removed)}\n`);
      process.exit(code);
    });
  }
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
