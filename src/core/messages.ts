/**
 * The catalog of warnings and progress messages. Library code never prints: it calls a
 * {@link Logger}, which the CLI connects to stderr and tests can capture.
 */
export const MESSAGES = {
  RARE_CODE_GROUPED: 'RARE_CODE_GROUPED',
  UNKNOWN_LEVEL: 'UNKNOWN_LEVEL',
  BACKEND_FALLBACK: 'BACKEND_FALLBACK',
  LOW_ACCEPTANCE: 'LOW_ACCEPTANCE',
  PROGRESS: 'PROGRESS',
  INFO: 'INFO',
} as const;

export type MessageCode = (typeof MESSAGES)[keyof typeof MESSAGES];

export interface Logger {
  warn(code: MessageCode, message: string): void;
  info(code: MessageCode, message: string): void;
  /** Progress of long work; `done` of `total` units (total NaN when unknown). */
  progress?(label: string, done: number, total: number, detail?: string): void;
}

/** A logger that drops everything: the default for library calls. */
export const SILENT_LOGGER: Logger = {
  warn() {},
  info() {},
};

/** A logger that records every message; for tests. */
export function createMemoryLogger(): Logger & {
  readonly records: { level: 'warn' | 'info'; code: MessageCode; message: string }[];
} {
  const records: { level: 'warn' | 'info'; code: MessageCode; message: string }[] = [];
  return {
    records,
    warn(code, message) {
      records.push({ level: 'warn', code, message });
    },
    info(code, message) {
      records.push({ level: 'info', code, message });
    },
  };
}

// --- f17-attributes ---

/**
 * A forced attribute level the attribute model never saw (INFEASIBLE).
 *
 * @example
 * unseenForcedLevelMessage('stage', 'V', ['I', 'II']) // => "attribute 'stage': level 'V' was never seen in training (levels: I, II)"
 */
export function unseenForcedLevelMessage(
  attribute: string,
  level: string,
  levels: readonly string[],
): string {
  return `attribute '${attribute}': level '${level}' was never seen in training (levels: ${levels.join(', ')})`;
}

/**
 * A non-number forced on a numeric attribute (INVALID_ARGUMENT).
 *
 * @example
 * forcedNotNumberMessage('age', 'old') // => "attribute 'age' is numeric; got 'old'"
 */
export function forcedNotNumberMessage(attribute: string, value: unknown): string {
  return `attribute '${attribute}' is numeric; got '${String(value)}'`;
}

/**
 * A CART attribute model in a manifest that is not consistent (MODEL, field attributeModel).
 *
 * @example
 * badCartModelMessage('node4', 3, 'splits on an attribute not drawn before it')
 * // => "attribute model, tree 'node4' node 3: splits on an attribute not drawn before it"
 */
export function badCartModelMessage(tree: string, node: number, reason: string): string {
  return `attribute model, tree '${tree}' node ${node}: ${reason}`;
}

/**
 * A CART attribute model whose tree count differs from the manifest's attributes.
 *
 * @example
 * cartTreeCountMessage(11, 10) // => 'attribute model: expected 11 trees (one per attribute), found 10'
 */
export function cartTreeCountMessage(expected: number, found: number): string {
  return `attribute model: expected ${expected} trees (one per attribute), found ${found}`;
}
