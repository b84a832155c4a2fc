/**
 * Splits a byte stream into lines with hard bounds in bytes: the agent's output is untrusted, so no
 * line longer than maxLine and no more than maxTotal in all is ever held. Lines are cut at \n in the
 * bytes and decoded as UTF-8 only once whole, so a character split between two reads is kept intact
 * (bytes that are not UTF-8 decode to U+FFFD, and the line then fails validation on its own).
 */
export class BoundedLines {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private total = 0;
  /** Why reading stopped; once set, every further chunk is ignored. */
  problem: string | undefined;

  constructor(
    private readonly maxLine: number,
    private readonly maxTotal: number,
  ) {}

  /** The lines that chunk completes, in order; stops at the first bound passed (see `problem`). */
  push(chunk: Buffer): string[] {
    if (this.problem !== undefined) return [];
    this.total += chunk.length;
    if (this.total > this.maxTotal) {
      this.stop(`the agent wrote more than ${this.maxTotal} bytes in all`);
      return [];
    }
    const lines: string[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, start)) {
      if (!this.take(chunk.subarray(start, newline))) return lines;
      lines.push(Buffer.concat(this.parts, this.partBytes).toString('utf8'));
      this.parts = [];
      this.partBytes = 0;
      start = newline + 1;
    }
    this.take(chunk.subarray(start));
    return lines;
  }

  /** The last line when the stream ended without a newline; undefined when there is none (or reading stopped). */
  end(): string | undefined {
    if (this.problem !== undefined || this.partBytes === 0) return undefined;
    const last = Buffer.concat(this.parts, this.partBytes).toString('utf8');
    this.parts = [];
    this.partBytes = 0;
    return last;
  }

  private take(bytes: Buffer): boolean {
    if (this.partBytes + bytes.length > this.maxLine) {
      this.stop(`the agent wrote a line longer than ${this.maxLine} bytes`);
      return false;
    }
    if (bytes.length > 0) {
      this.parts.push(bytes);
      this.partBytes += bytes.length;
    }
    return true;
  }

  private stop(why: string): void {
    this.problem = why;
    this.parts = [];
    this.partBytes = 0;
  }
}
