/**
 * The source tree's shape, read from this checkout: which folder may import which (the table is the
 * one in ARCHITECTURE.md), how long a source file may grow, and that comments cite files that exist.
 * TypeScript and JavaScript are read with the TypeScript parser, so strings and regular expressions
 * that look like an import or a comment are not mistaken for one; shell, Python and PowerShell
 * comments are read line by line.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The checkout: this file runs as dist/test/structure.test.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ---- the rules ----------------------------------------------------------------------------------

/**
 * Which top-level area may import which. test/ may import anything and is not listed. src/cli/ is
 * the only part of src/ that reaches into controller/; the agent stands alone on src/.
 */
type Area = 'agent/src' | 'controller' | 'src' | 'src/cli';
const AREA_MAY_IMPORT: Readonly<Record<Area, readonly Area[]>> = {
  'agent/src': ['agent/src', 'src'],
  controller: ['controller', 'src'],
  src: ['src'],
  'src/cli': ['src/cli', 'src', 'controller'],
};

/**
 * Inside controller/, imports run one way: each folder may import the folders listed for it (values
 * and types), and the `typesOnly` folders with `import type` only. A folder imports itself freely.
 * bench measures twoway against the SSH floor on a lab fleet; lab builds the namespace lab (using
 * the agents' tool list and procfs, and the listener's certificate maker for its BMC stand-ins);
 * run drives one run;
 * diagnose and firewall turn evidence into verdicts and fixes; remedy is the bottom.
 */
const CONTROLLER_LAYERS: Readonly<Record<string, { imports: readonly string[]; typesOnly?: readonly string[] }>> = {
  bench: { imports: ['lab'] },
  lab: { imports: ['agents', 'host', 'wire'] },
  run: { imports: ['diagnose', 'agents', 'ssh', 'wire', 'probers', 'firewall', 'host', 'remedy'] },
  diagnose: { imports: ['remedy'], typesOnly: ['wire', 'host', 'probers'] },
  firewall: { imports: ['remedy'] },
  agents: { imports: [] },
  ssh: { imports: [] },
  wire: { imports: [] },
  probers: { imports: [] },
  host: { imports: [] },
  remedy: { imports: [] },
};

/**
 * Imports that break CONTROLLER_LAYERS today, each owned by another branch that is moving the code
 * (see ARCHITECTURE.md). Remove an entry when its import is gone: a stale entry fails the test.
 */
const KNOWN_LAYER_VIOLATIONS_UNTIL_FIXED: readonly string[] = [];

/**
 * Comments citing a file that is not there, in files other branches are editing (file: token); the
 * lead fixes them at merge. A fixed one fails the test until it is removed here.
 */
const KNOWN_BAD_CITATIONS_UNTIL_MERGE: readonly string[] = [];

const MAX_SOURCE_LINES = 450;
/** Files over MAX_SOURCE_LINES that other branches are splitting; a file that is back under the limit fails the test until it is removed here. */
const KNOWN_OVERSIZE_UNTIL_SPLIT: readonly string[] = [];

// ---- reading the tree ---------------------------------------------------------------------------

/** Repository-relative paths (with /) of the files under `dir` whose names pass `keep`. */
function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  const full = join(ROOT, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return filesUnder(path, keep);
    return keep(name) ? [path] : [];
  });
}

const isTs = (name: string): boolean => name.endsWith('.ts') && !name.endsWith('.d.ts');
const SOURCE_FILES = ['src', 'controller', 'agent/src'].flatMap((dir) => filesUnder(dir, isTs));

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

const parsed = new Map<string, ts.SourceFile>();
/** Each file is parsed once: the import and the comment checks read the same tree. */
function parse(path: string): ts.SourceFile {
  const kind = path.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const file = parsed.get(path) ?? ts.createSourceFile(path, read(path), ts.ScriptTarget.Latest, false, kind);
  parsed.set(path, file);
  return file;
}

interface Import {
  from: string;
  /** Repository-relative path of the imported source file (.js specifiers name .ts sources). */
  to: string;
  typeOnly: boolean;
}

/** Relative imports and re-exports of one file, static and dynamic. */
function importsOf(path: string): Import[] {
  const file = parse(path);
  const found: Import[] = [];
  const add = (specifier: ts.Expression | undefined, typeOnly: boolean): void => {
    if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return;
    const target = relative(ROOT, resolve(ROOT, dirname(path), specifier.text)).split(sep).join('/');
    found.push({ from: path, to: target.replace(/\.js$/, '.ts'), typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, isTypeOnlyImport(node.importClause));
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, true);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], false);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** `import type {...}`, or `import { type A, type B }`: both vanish from the emitted JavaScript. */
function isTypeOnlyImport(clause: ts.ImportClause | undefined): boolean {
  if (clause === undefined) return false; // a side-effect import runs the module
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

function areaOf(path: string): Area | undefined {
  if (path.startsWith('src/cli/')) return 'src/cli';
  if (path.startsWith('src/')) return 'src';
  if (path.startsWith('controller/')) return 'controller';
  if (path.startsWith('agent/src/')) return 'agent/src';
  return undefined;
}

/** The controller/ folder a file is in (controller/wire/listener.ts: wire). */
function layerOf(path: string): string | undefined {
  return /^controller\/([^/]+)\//.exec(path)?.[1];
}

const ALL_IMPORTS = SOURCE_FILES.flatMap(importsOf);
const show = (i: Import): string => `${i.from} -> ${i.to}`;

// ---- the tests ----------------------------------------------------------------------------------

test('the source tree is found and its imports are read', () => {
  assert.ok(SOURCE_FILES.includes('controller/run/run.ts'), `no controller/run/run.ts under ${ROOT}`);
  assert.ok(ALL_IMPORTS.some((i) => i.from === 'controller/run/run.ts' && i.to === 'controller/wire/listener.ts'), 'run.ts imports the listener');
  for (const i of ALL_IMPORTS) assert.ok(existsSync(join(ROOT, i.to)), `${i.from} imports ${i.to}, which does not exist`);
});

test('agent/src, controller/ and src/ import across top-level folders only as the area table allows', () => {
  const wrong = ALL_IMPORTS.flatMap((i) => {
    const from = areaOf(i.from);
    const to = areaOf(i.to);
    if (from === undefined) return [];
    if (to === undefined) return [`${show(i)}: ${from}/ imports outside src/, controller/ and agent/src/`];
    return AREA_MAY_IMPORT[from].includes(to) ? [] : [`${show(i)}: ${from}/ may import only ${AREA_MAY_IMPORT[from].join(', ')}`];
  });
  assert.deepEqual(wrong, []);
});

test('the controller layer table runs one way (no folder reaches back up)', () => {
  const folders = readdirSync(join(ROOT, 'controller')).filter((n) => statSync(join(ROOT, 'controller', n)).isDirectory());
  assert.deepEqual(folders.filter((f) => CONTROLLER_LAYERS[f] === undefined), [], 'every controller/ folder has a row in CONTROLLER_LAYERS');
  // Depth-first: a folder met again while its own imports are being walked closes a cycle.
  const state = new Map<string, 'walking' | 'done'>();
  const walk = (folder: string, trail: string[]): void => {
    if (state.get(folder) === 'done') return;
    assert.notEqual(state.get(folder), 'walking', `CONTROLLER_LAYERS has a cycle: ${[...trail, folder].join(' -> ')}`);
    state.set(folder, 'walking');
    const row = CONTROLLER_LAYERS[folder];
    for (const next of [...(row?.imports ?? []), ...(row?.typesOnly ?? [])]) walk(next, [...trail, folder]);
    state.set(folder, 'done');
  };
  for (const folder of Object.keys(CONTROLLER_LAYERS)) walk(folder, []);
});

test('inside controller/, every import follows the layer table', () => {
  const crossing = ALL_IMPORTS.filter((i) => layerOf(i.from) !== undefined && layerOf(i.to) !== undefined && layerOf(i.from) !== layerOf(i.to));
  const wrong = crossing.flatMap((i) => {
    const from = layerOf(i.from) as string;
    const to = layerOf(i.to) as string;
    const row = CONTROLLER_LAYERS[from];
    if (row?.imports.includes(to)) return [];
    if (row?.typesOnly?.includes(to)) return i.typeOnly ? [] : [`${show(i)}: controller/${from} may import only types from controller/${to} (import type)`];
    return KNOWN_LAYER_VIOLATIONS_UNTIL_FIXED.includes(show(i)) ? [] : [`${show(i)}: controller/${from} may not import controller/${to}`];
  });
  assert.deepEqual(wrong, []);
  const stale = KNOWN_LAYER_VIOLATIONS_UNTIL_FIXED.filter((v) => !crossing.some((i) => show(i) === v));
  assert.deepEqual(stale, [], 'these imports are gone: remove them from KNOWN_LAYER_VIOLATIONS_UNTIL_FIXED');
});

test(`no source file of controller/, src/ or agent/src is over ${MAX_SOURCE_LINES} lines`, () => {
  const lines = (path: string): number => read(path).replace(/\n$/, '').split('\n').length;
  const over = SOURCE_FILES.filter((p) => lines(p) > MAX_SOURCE_LINES);
  assert.deepEqual(
    over.filter((p) => !KNOWN_OVERSIZE_UNTIL_SPLIT.includes(p)).map((p) => `${p}: ${lines(p)} lines`),
    [],
  );
  assert.deepEqual(
    KNOWN_OVERSIZE_UNTIL_SPLIT.filter((p) => !over.includes(p)),
    [],
    'these are split or gone: remove them from KNOWN_OVERSIZE_UNTIL_SPLIT',
  );
});

// ---- comments -----------------------------------------------------------------------------------

/**
 * Every comment of a TypeScript or JavaScript file: outside the string, template and regular
 * expression literals the parser found, `//` and `/*` can only start a comment.
 */
function scriptComments(path: string): string[] {
  const file = parse(path);
  const text = file.text;
  const literals: [start: number, end: number][] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isRegularExpressionLiteral(node) || ts.isTemplateLiteralToken(node)) {
      literals.push([node.getStart(file), node.end]);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  literals.sort((a, b) => a[0] - b[0]);
  const comments: string[] = [];
  let next = 0;
  for (let i = 0; i < text.length; i++) {
    while (next < literals.length && (literals[next]?.[1] ?? 0) <= i) next++;
    const literal = literals[next];
    if (literal !== undefined && literal[0] <= i) {
      i = literal[1] - 1;
      continue;
    }
    let stop: number;
    if (text.startsWith('//', i)) stop = text.indexOf('\n', i);
    else if (text.startsWith('/*', i)) stop = text.indexOf('*/', i + 2) + 2;
    else continue;
    if (stop < i) stop = text.length; // the file ends inside the comment
    comments.push(text.slice(i, stop));
    i = stop - 1;
  }
  return comments;
}

/**
 * The comments of a shell, Python or PowerShell file: from a `#` that starts a word outside quotes to
 * the end of the line, and PowerShell's <# ... #> blocks. Line by line, which is enough for these files.
 */
function hashComments(path: string): string[] {
  const text = read(path);
  const blocks = path.endsWith('.ps1') ? [...text.matchAll(/<#[\s\S]*?#>/g)].map((m) => m[0]) : [];
  const lines = text.replace(/<#[\s\S]*?#>/g, '').split('\n');
  return [...blocks, ...lines.flatMap((line) => commentOfLine(line) ?? [])];
}

function commentOfLine(line: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== undefined) {
      if (c === '\\' && quote !== "'") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return line.slice(i);
  }
  return undefined;
}

const TOP_LEVEL = readdirSync(ROOT).filter((n) => !n.startsWith('.') && n !== 'node_modules' && statSync(join(ROOT, n)).isDirectory());
const FILE_EXTENSIONS = 'ts|mjs|cjs|js|json|md|sh|py|ps1|snap|ya?ml|txt|ini';
/** A bare name (no folder) counts as a citation for these; a bare hpsum.ini or report.json is the operator's file. */
const CITED_BARE = /\.(ts|mjs|cjs|js|md|sh|py|ps1|snap)$/;
/** A path token starts a word: not glued to a URL, an absolute path, a placeholder or a glob before it. */
const EDGE = String.raw`(?<![\w./~$<>{}*@:-])`;
const PATH_WITH_EXTENSION = new RegExp(`${EDGE}(?:\\.{1,2}/)?(?:[\\w.*-]+/)*[\\w*-][\\w.*-]*\\.(?:${FILE_EXTENSIONS})(?![\\w/-])`, 'g');
const PATH_IN_REPO_FOLDER = new RegExp(`${EDGE}(?:${TOP_LEVEL.join('|')})/[\\w./*-]*`, 'g');
/** A token that looks like a file name and is not one: the runtime's name. */
const NOT_PATHS = new Set(['Node.js']);

/** The path-looking tokens of a comment: relative paths, paths into the repository's folders, source file names. */
function pathTokens(comment: string): string[] {
  const text = comment.replace(/\bhttps?:\/\/\S+/g, '');
  const tokens = [...text.matchAll(PATH_WITH_EXTENSION), ...text.matchAll(PATH_IN_REPO_FOLDER)].map((m) => m[0].replace(/[.-]+$/, ''));
  return [...new Set(tokens)].filter((t) => !NOT_PATHS.has(t) && (t.includes('/') || CITED_BARE.test(t)));
}

/** True when `token` names a file or folder relative to the checkout or to the commenting file (`*` in the last name matches within it). */
function exists(token: string, from: string): boolean {
  return [ROOT, join(ROOT, dirname(from))].some((base) => {
    const path = resolve(base, token);
    if (!token.includes('*')) return existsSync(path);
    const folder = dirname(path);
    const name = new RegExp(`^${path.slice(folder.length + 1).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return !folder.includes('*') && existsSync(folder) && readdirSync(folder).some((n) => name.test(n));
  });
}

const COMMENTED_FILES = ['src', 'controller', 'agent', 'scripts'].flatMap((dir) => filesUnder(dir, (n) => /\.(ts|mjs|js|cjs|sh|py|ps1)$/.test(n)));

function commentsOf(path: string): string[] {
  return /\.(sh|py|ps1)$/.test(path) ? hashComments(path) : scriptComments(path);
}

test('comments in src/, controller/, agent/ and scripts/ cite files that exist, and never DESIGN.md', () => {
  assert.ok(COMMENTED_FILES.includes('agent/sh/twoway-agent.sh'), 'the agents written in other languages are read too');
  const bad = COMMENTED_FILES.flatMap((path) =>
    commentsOf(path).flatMap((comment) =>
      pathTokens(comment)
        .filter((token) => /(^|\/)DESIGN\.md$/.test(token) || !exists(token, path))
        .map((token) => `${path}: ${token}`),
    ),
  );
  const why = (cited: string): string =>
    cited.endsWith('DESIGN.md') ? `${cited}: DESIGN.md is outside the repository (cite README.md or ARCHITECTURE.md)` : `${cited}: no such file`;
  assert.deepEqual(bad.filter((b) => !KNOWN_BAD_CITATIONS_UNTIL_MERGE.includes(b)).map(why), []);
  assert.deepEqual(
    KNOWN_BAD_CITATIONS_UNTIL_MERGE.filter((k) => !bad.includes(k)),
    [],
    'these citations are fixed: remove them from KNOWN_BAD_CITATIONS_UNTIL_MERGE',
  );
});
