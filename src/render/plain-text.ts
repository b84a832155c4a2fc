/**
 * Text that came from a node (ssh's and the agent's stderr, the agent's own messages) made safe to
 * print on the operator's terminal: a remote banner or a hostile agent must not be able to move the
 * cursor, retitle the window or hide text. Escape sequences and control characters go, and so do
 * the bidirectional overrides; what is left is cut to a bound.
 */

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and any other two-character escape.
const ESCAPE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** One line, without escapes or control characters, at most `max` characters (then ending in "..."). */
export function plainLine(text: string, max: number): string {
  const plain = text.replace(ESCAPE, '').replace(CONTROL, '');
  return plain.length <= max ? plain : `${plain.slice(0, Math.max(0, max - 3))}...`;
}

/** The last `count` non-empty lines of `text`, each made plain and bounded. */
export function plainTail(text: string, count: number, maxLine: number): string[] {
  return text
    .split('\n')
    .map((l) => plainLine(l, maxLine))
    .filter((l) => l.trim() !== '')
    .slice(-count);
}
