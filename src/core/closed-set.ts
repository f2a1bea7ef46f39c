/** Parsing a name from a closed set of names (backends, engines, …). */

import { TrajsimError } from './errors.js';
import { unknownName } from './messages.js';

/**
 * Returns `text` as one of the values of `names`, or throws naming the allowed values.
 *
 * @param text - the value to check (e.g. an option's argument).
 * @param names - the closed set, as a const object of names (its values, in order).
 * @param what - what is named, for the message (e.g. 'backend').
 * @param field - the option or field to name in the error (e.g. '--backend').
 * @throws TrajsimError INVALID_ARGUMENT when `text` is none of the names.
 * @example
 * parseOneOf('tfjs', { ONNX: 'onnx', TFJS: 'tfjs' } as const, 'engine', '--engine') // => 'tfjs'
 */
export function parseOneOf<T extends string>(
  text: string,
  names: Readonly<Record<string, T>>,
  what: string,
  field: string,
): T {
  const allowed = Object.values(names) as string[];
  if (!allowed.includes(text)) {
    throw new TrajsimError('INVALID_ARGUMENT', unknownName(what, text, allowed), { field });
  }
  return text as T;
}
