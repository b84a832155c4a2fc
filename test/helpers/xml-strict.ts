/**
 * A small strict XML 1.0 parser for tests: elements, attributes, text, character references and the
 * five predefined entities; a leading <?xml ...?> declaration. Anything else (mismatched or unclosed
 * tags, duplicate attributes, a raw < or & where it may not be, characters XML forbids, content after
 * the root) throws with the offset. Enough to hold the JUnit renderer to well-formed XML without a
 * dependency; it does not do DTDs, comments, CDATA or namespaces, which the renderer never writes.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /[A-Za-z_:][A-Za-z0-9_.:-]*/y;
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`XML: ${what} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const forbidden = FORBIDDEN.exec(xml);
  if (forbidden !== null) {
    i = forbidden.index;
    fail('forbidden character');
  }
  const skipSpace = (): void => {
    while (i < xml.length && ' \t\r\n'.includes(xml[i]!)) i++;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(xml);
    if (m === null) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const decode = (raw: string, inAttr: boolean): string => {
    if (raw.includes('<')) fail('raw "<"');
    if (inAttr && raw.includes('"')) fail('raw quote in attribute');
    return raw.replace(/&([^;]*);?/g, (whole, ref: string) => {
      if (!whole.endsWith(';')) return fail(`"&" that starts no reference`);
      if (ref in ENTITIES) return ENTITIES[ref]!;
      const num = /^#x([0-9A-Fa-f]+)$/.exec(ref) ?? /^#([0-9]+)$/.exec(ref);
      if (num === null) return fail(`unknown entity &${ref};`);
      return String.fromCodePoint(parseInt(num[1]!, ref.startsWith('#x') ? 16 : 10));
    });
  };
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected "<"');
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      skipSpace();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected space before an attribute');
      const attr = name();
      if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
      if (xml[i] !== '=' || xml[i + 1] !== '"') fail('expected ="');
      const end = xml.indexOf('"', i + 2);
      if (end < 0) fail('unterminated attribute');
      el.attrs[attr] = decode(xml.slice(i + 2, end), true);
      i = end + 1;
    }
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${el.name}>`);
      el.text += decode(xml.slice(i, lt), false);
      i = lt;
      if (xml.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        skipSpace();
        if (xml[i] !== '>') fail('expected ">"');
        i++;
        return el;
      }
      el.children.push(element());
    }
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    i = end + 2;
  }
  skipSpace();
  const root = element();
  skipSpace();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

/** Every element named `name` below `el`, depth first. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}
