/**
 * Text from user files shown on a terminal (issue 18 #22): control characters (C0 such as NUL,
 * BEL, ESC, CR, LF; DEL; C1) and bidirectional overrides (U+202A..U+202E, U+2066..U+2069)
 * would move the cursor, recolour or reorder what the user reads, or break a one-line error
 * into several. They are shown escaped instead: `\n`, `\r`, `\t`, else `\xNN` / `\u{NNNN}`.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Escapes the characters that must not reach a terminal raw.
 *
 * @param text - text that may hold user data.
 * @returns the text, with control and bidi-override characters escaped.
 * @example
 * terminalSafe('CODE\u001b[31m\n') // => 'CODE\\x1b[31m\\n'
 * terminalSafe('plain') // => 'plain'
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    const code = ch.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
