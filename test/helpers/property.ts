/**
 * Shared pieces of the property-based tests (fast-check): how many cases each property tries, and
 * the check every parser's errors must pass: the project's InputError, naming the file it was given
 * and a line that exists in the text. fast-check prints the seed and the shrunk case on a failure.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../src/errors.js';

/**
 * Cases per property: enough to find what random input finds, few enough for a fast suite.
 * TWOWAY_PROPERTY_RUNS=20000 hunts longer (by hand; the suite keeps the default).
 */
export const RUNS = Number(process.env.TWOWAY_PROPERTY_RUNS ?? 300);

/** Runs a property a bounded number of times (the seed, when given, makes a failure repeatable). */
export function check<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>, params: fc.Parameters<Ts> = {}): void {
  fc.assert(property, { numRuns: RUNS, ...params });
}

/** The number of lines of `text` an error may point at (a last line without a newline counts). */
function lineCount(text: string): number {
  return text.split(/\r?\n|\r/).length;
}

/**
 * Calls `parse`; a value is fine, and so is an InputError naming `file` and a line that exists in
 * `text`. Anything else thrown (TypeError, RangeError, a plain Error) is the crash the property
 * looks for, and fails the test.
 */
export function parsesOrNamesThePlace<T>(parse: () => T, file: string, text: string): T | InputError {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    assert.equal(err.file, file, `the error names the file: ${err.message}`);
    assert.ok(err.line !== undefined && err.line >= 1 && err.line <= lineCount(text), `line ${err.line} of ${lineCount(text)}: ${err.message}`);
    assert.ok(err.message.startsWith(`${file}`), `the message starts with the place: ${err.message}`);
    return err;
  }
}
