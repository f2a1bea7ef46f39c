#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { abortActiveOutputs } from '../core/atomic-output.js';
import { interruptedBySignal } from '../core/messages.js';
import { terminalSafe } from '../core/terminal-text.js';
import { VERSION } from '../core/version.js';
import { COMMANDS } from './commands/index.js';
import { createCliContext, exitCodeOf } from './context.js';
import { describeUserError } from './user-errors.js';

const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

const OUTPUT = {
  writeErr: (s: string) => process.stderr.write(s),
  writeOut: (s: string) => process.stdout.write(s),
  // one line per error: commander's "(Did you mean --x?)" joins the line it explains
  outputError: (s: string, write: (s: string) => void) =>
    write(`${s.trimEnd().replace(/\n(?=\(Did you mean)/g, ' ')}\n`),
};

function allSubcommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allSubcommands(c)]);
}

/**
 * Runs the trajsim CLI with `argv` (without node and script). Returns the exit code: 0 ok,
 * 1 a check failed (e.g. a fidelity gate), 2 any error (usage, input, environment, internal). Errors print one line
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
    .configureOutput(OUTPUT)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 a fidelity gate failed, 2 any error (usage, input, environment).',
    );
  for (const register of COMMANDS) register(program, context);
  // Commander copies exitOverride and output settings only to subcommands made with
  // .command(); ours are added with addCommand, so every one gets them here.
  for (const command of allSubcommands(program)) {
    command
      .exitOverride()
      .configureOutput(OUTPUT)
      .showHelpAfterError('(run with --help for usage)');
  }
  let exitCode: number = EXIT.OK;
  program.hook('postAction', (_cmd, action) => {
    const code = exitCodeOf(action);
    if (code !== undefined) exitCode = code;
  });
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, debug);
  }
}

/**
 * Prints an error as the CLI reports it and returns the exit code (always 2: 1 is kept for a
 * failed check such as a fidelity gate). User and environment errors (a TrajsimError, a file
 * system error, a zod validation error, memory exhausted) print one clear line; anything else
 * is an internal error with a hint to rerun with --debug.
 */
function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  const stack = (error as Error | undefined)?.stack;
  const user = describeUserError(error);
  if (user !== undefined) {
    process.stderr.write(`trajsim: error [${user.code}]: ${user.message}\n`);
    if (debug && stack) process.stderr.write(`${stack}\n`);
    return EXIT.USAGE;
  }
  process.stderr.write(
    `trajsim: internal error: ${terminalSafe((error as Error)?.message ?? String(error))}\n`,
  );
  if (debug) process.stderr.write(`${stack}\n`);
  else process.stderr.write('(run again with --debug for the stack trace; please report it)\n');
  return EXIT.USAGE;
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
