/**
 * Error classes with stable codes. Messages name what was attempted (file, line, field; address,
 * port, timeout); the original error, if any, is kept on `cause`.
 */

export class TwowayError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input (inventory, flags, profile files): exit code 2, nothing started. */
export class InputError extends TwowayError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;
  constructor(message: string, where: { file?: string; line?: number; field?: string } = {}, options?: { cause?: unknown }) {
    // Lines count from 1; a command-line flag's "line 0" means it has none.
    const line = where.line !== undefined && where.line > 0 ? where.line : undefined;
    const place = [where.file, line === undefined ? undefined : `line ${line}`, where.field === undefined ? undefined : `field "${where.field}"`]
      .filter((p) => p !== undefined)
      .join(', ');
    super('TWOWAY_INPUT', place ? `${place}: ${message}` : message, options);
    this.file = where.file;
    this.line = line;
    this.field = where.field;
  }
}

/** The controller could not set itself up (listener bind, certificate, namespace). */
export class SetupError extends TwowayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TWOWAY_SETUP', message, options);
  }
}

/** The lab could not be built or torn down. */
export class LabError extends TwowayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TWOWAY_LAB', message, options);
  }
}
