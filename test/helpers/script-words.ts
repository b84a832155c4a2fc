/**
 * The words of a portable agent's source, as far as a hand-typed protocol value could hide in them:
 * string literals (Python, sh, PowerShell) and bare words (sh and PowerShell, where a value can be
 * written unquoted: `R_OUT=refused`, `case $KIND in hello)`, a switch label). Comments are skipped.
 * Not a parser: enough of each language's quoting to find where a literal starts and ends, including
 * code nested in a string ($(...) in sh and PowerShell double quotes).
 */

export type ScriptLanguage = 'python' | 'sh' | 'powershell';

export interface ScriptWord {
  text: string;
  line: number;
  /**
   * Names a field rather than holding a value: a dict key or subscript in Python (`'ok': True`,
   * `['error']`, `.get('hold')`), a hashtable key or member in PowerShell (`error = ...`, `$r.error`),
   * the variable an sh assignment sets (`ok=true`).
   */
  field: boolean;
}

/** Characters that end a bare word. */
const BREAK = /[\s;|&()<>{}[\],'"`=]/;

class Scanner {
  readonly words: ScriptWord[] = [];
  pos = 0;
  /** Offsets where each line starts. */
  private readonly lineStarts: number[];
  constructor(
    readonly src: string,
    readonly language: ScriptLanguage,
  ) {
    this.lineStarts = [0, ...[...src.matchAll(/\n/g)].map((m) => m.index + 1)];
  }

  lineAt(i: number): number {
    let n = 0;
    while (n + 1 < this.lineStarts.length && this.lineStarts[n + 1]! <= i) n++;
    return n + 1;
  }

  add(text: string, start: number, end: number): void {
    if (text === '') return;
    this.words.push({ text, line: this.lineAt(start), field: this.isField(start, end) });
  }

  isField(start: number, end: number): boolean {
    const before = this.src.slice(Math.max(0, start - 12), start);
    const after = this.src.slice(end, end + 8);
    // A quoted word's bounds are its content's: the quotes are part of the context.
    if (this.language === 'python') return /^['"]?\s*:[ \t]*\S/.test(after) || (/\[['"]?$/.test(before) && /^['"]?\]/.test(after)) || /\.(get|pop)\(['"]?$/.test(before) || /^['"]?\s+in\s/.test(after);
    if (this.language === 'powershell') return /\.$/.test(before) || /^['"]?\s*=(?!=)/.test(after);
    // sh: the name an assignment sets.
    return /^=/.test(after) && (start === 0 || /\s/.test(this.src[start - 1]!));
  }

  /** Code until `close` (end of text when undefined) at this nesting level. */
  code(close?: string): void {
    let depth = 0;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (close !== undefined && c === close && depth === 0) {
        this.pos++;
        return;
      }
      if (close === ')' && c === '(') depth++;
      else if (close === ')' && c === ')') depth--;
      if (c === '#' && (this.pos === 0 || /\s/.test(this.src[this.pos - 1]!))) this.skipLine();
      else if (c === "'" || c === '"') this.string(c);
      else if (c === '\\' && this.language === 'sh') this.pos += 2;
      else if (/\s/.test(c) || BREAK.test(c)) this.pos++;
      else this.bare();
    }
  }

  skipLine(): void {
    while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
  }

  bare(): void {
    const start = this.pos;
    while (this.pos < this.src.length && !BREAK.test(this.src[this.pos]!)) {
      // $(...) inside a word: its code is words of its own.
      if (this.src.startsWith('$(', this.pos)) break;
      this.pos++;
    }
    if (this.src.startsWith('$(', this.pos) && this.pos === start) {
      this.pos += 2;
      this.code(')');
      return;
    }
    // `=` ends a word, so the value of an sh assignment is a word of its own. Python's bare words are names.
    if (this.language !== 'python') this.add(this.src.slice(start, this.pos), start, this.pos);
    if (this.pos === start) this.pos++;
  }

  string(quote: string): void {
    const src = this.src;
    const triple = this.language === 'python' && src.startsWith(quote.repeat(3), this.pos);
    const open = triple ? 3 : 1;
    const start = this.pos + open;
    this.pos = start;
    let text = '';
    while (this.pos < src.length) {
      const c = src[this.pos]!;
      if (triple ? src.startsWith(quote.repeat(3), this.pos) : c === quote) {
        // PowerShell doubles a quote to escape it.
        if (this.language === 'powershell' && src[this.pos + 1] === quote) {
          text += quote;
          this.pos += 2;
          continue;
        }
        const end = this.pos;
        this.pos += open;
        this.add(text, start, end);
        return;
      }
      const escape = this.language === 'powershell' ? '`' : '\\';
      const escapes = quote === '"' || this.language === 'python';
      if (c === escape && escapes) {
        text += src.slice(this.pos, this.pos + 2);
        this.pos += 2;
        continue;
      }
      if (quote === '"' && this.language !== 'python' && src.startsWith('$(', this.pos)) {
        const inner = this.pos;
        this.pos += 2;
        this.code(')');
        text += src.slice(inner, this.pos);
        continue;
      }
      text += c;
      this.pos++;
    }
  }
}

export function scriptWords(language: ScriptLanguage, source: string): ScriptWord[] {
  const scanner = new Scanner(source, language);
  scanner.code();
  return scanner.words;
}
