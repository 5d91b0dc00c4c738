import * as fs from 'fs';
import { createRequire } from 'module';
import { Yaml } from 'cdk8s';
import { headerComment } from './header-marks';

/*
 * `Yaml.stringify()` of cdk8s, byte for byte, faster.
 *
 * cdk8s serializes each document with the `yaml` package it bundles: `YAML.stringify(doc,
 * { keepUndefined: true, lineWidth: 0, version: '1.1' })`, which builds a syntax tree of the whole
 * document before printing it; that is about half of the time of a synthesis. Kubernetes manifests
 * are plain trees of maps, lists, strings, integers and booleans, printed in block style, so they
 * are written here directly, with the rules of that `yaml` release for exactly that subset (see
 * stringifyString.js, stringifyPair.js and stringifyCollection.js in yaml 2.9.1). Whether a
 * string may be printed plain is decided with the same regular expressions and the schema's own
 * tag tests (taken from the bundled `yaml` at run time).
 *
 * Anything outside the subset sends the whole document to cdk8s's `Yaml.stringify()`: multi-line
 * keys, multi-line values that yaml would quote or keep-chomp (`|+`), control characters, strings
 * that look like document markers, keys over 1024 characters, null or undefined values, numbers
 * other than safe integers, objects that are not plain (class instances, Dates, Maps), and an
 * object referenced twice (`yaml` would emit an anchor and an alias). If the bundled `yaml` is not the release these rules were taken from, every
 * document goes to `Yaml.stringify()`.
 */

/** The `yaml` release (bundled by cdk8s) whose output these rules reproduce. */
const VERIFIED_YAML_VERSION = '2.9.1';
/** The options cdk8s's `Yaml.stringify()` passes to `YAML.stringify()`. */
const CDK8S_YAML_OPTIONS = { keepUndefined: true, lineWidth: 0, version: '1.1' };

const INDENT_STEP = '  ';
// plainString(): strings that may not be plain scalars.
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
// stringifyString(): control characters and unpaired surrogates force double quotes (with escapes).
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
// The YAML 1.1 merge key.
const MERGE_KEY = '<<';
// containsDocumentMarker()
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
// blockString()
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

/** Thrown inside a document that needs the `yaml` package; caught per document. */
class Unsupported extends Error {}

interface Schema {
  /** The tag tests that make a string need quotes (a plain `10` or `yes` would not read back as a string). */
  readonly tests: { test(value: string): boolean }[];
}

let schema: Schema | null | undefined;

/** The schema tests of the bundled `yaml`, or null if it is not the verified release. */
function loadSchema(): Schema | null {
  if (schema !== undefined) {
    return schema;
  }
  schema = null;
  try {
    const cdk8sRequire = createRequire(require.resolve('cdk8s'));
    const version = cdk8sRequire('yaml/package.json').version;
    if (version === VERIFIED_YAML_VERSION) {
      const doc = new (cdk8sRequire('yaml').Document)(null, CDK8S_YAML_OPTIONS);
      const tags: any[] = [...doc.schema.tags, ...(doc.schema.compat ?? [])];
      const tests = tags
        .filter((tag) => tag.default && tag.tag !== 'tag:yaml.org,2002:str' && typeof tag.test?.test === 'function')
        .map((tag) => tag.test);
      schema = { tests };
    }
  } catch {
    schema = null;
  }
  return schema;
}

function quoted(value: string): string {
  // quotedString() with the default `singleQuote: null`, for single-line strings without control
  // characters: doubleQuotedString() is then JSON.stringify(), singleQuotedString() has nothing to escape.
  if (value.includes('"') && !value.includes("'")) {
    return `'${value}'`;
  }
  return JSON.stringify(value);
}

/** blockString() with `lineWidth: 0`, which makes it a literal block (`|`), for a multi-line value at `indent`. */
function blockLiteral(value: string, indent: string): string {
  if (/\n[\t ]+$/.test(value)) {
    // yaml quotes a value whose last line is whitespace only (a multi-line double-quoted string)
    throw new Unsupported();
  }
  // chomping, from the whitespace at the end
  let endStart: number;
  for (endStart = value.length; endStart > 0; --endStart) {
    const ch = value[endStart - 1];
    if (ch !== '\n' && ch !== '\t' && ch !== ' ') break;
  }
  let end = value.substring(endStart);
  const endNlPos = end.indexOf('\n');
  let chomp: string;
  if (endNlPos === -1) {
    chomp = '-';
  } else if (value === end || endNlPos !== end.length - 1) {
    // 'keep' chomping ('|+') also changes how the enclosing collection is printed: leave it to yaml
    throw new Unsupported();
  } else {
    chomp = '';
  }
  if (end) {
    value = value.slice(0, -end.length);
    if (end[end.length - 1] === '\n') end = end.slice(0, -1);
    end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
  }
  // indentation indicator, from the whitespace at the start
  let startWithSpace = false;
  let startEnd: number;
  let startNlPos = -1;
  for (startEnd = 0; startEnd < value.length; ++startEnd) {
    const ch = value[startEnd];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') startNlPos = startEnd;
    else break;
  }
  let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    value = value.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startWithSpace ? (indent ? '2' : '1') : '') + chomp;
  value = value.replace(/\n+/g, `$&${indent}`);
  return `|${header}\n${indent}${start}${value}${end}`;
}

/** Rendered single-line strings (the same few keys and values recur in every manifest). */
const rendered = new Map<string, string | typeof UNSUPPORTED>();
const UNSUPPORTED = Symbol('unsupported');
const MAX_RENDERED = 200_000;

function singleLine(value: string, tests: Schema['tests']): string | typeof UNSUPPORTED {
  if (value === MERGE_KEY) {
    // getTagObject() picks the merge tag for '<<' (the only string another tag identifies), which prints it plain.
    return value;
  }
  if (CONTROL.test(value) || DOCUMENT_MARKER.test(value)) {
    return UNSUPPORTED;
  }
  return NOT_PLAIN.test(value) || tests.some((tag) => tag.test(value)) ? quoted(value) : value;
}

/** stringifyString() of a key (`implicitKey`) or a value at `indent`, as the str tag prints it. */
function stringScalar(value: string, tests: Schema['tests'], implicitKey: boolean, indent: string): string {
  if (value.includes('\n')) {
    if (implicitKey || CONTROL.test(value)) throw new Unsupported();
    return blockLiteral(value, indent);
  }
  let str = rendered.get(value);
  if (str === undefined) {
    str = singleLine(value, tests);
    if (rendered.size >= MAX_RENDERED) rendered.clear();
    rendered.set(value, str);
  }
  // stringifyPair(): a longer key becomes an explicit one ('? key').
  if (str === UNSUPPORTED || (implicitKey && str.length > 1024)) {
    throw new Unsupported();
  }
  return str;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && typeof (value as any).toJSON !== 'function';
}

function isEmptyCollection(value: unknown): boolean {
  if (Array.isArray(value)) {
    return value.length === 0;
  }
  return typeof value === 'object' && value !== null && isPlainObject(value) && Object.keys(value).length === 0;
}

class Writer {
  private readonly seen = new Set<object>();

  constructor(private readonly tests: Schema['tests']) {}

  /** A node whose own lines start at `indent` (the context indent `yaml` gives it). */
  public node(value: unknown, indent: string): string {
    switch (typeof value) {
      case 'string':
        return stringScalar(value, this.tests, false, indent);
      case 'number':
        if (!Number.isSafeInteger(value) || Object.is(value, -0)) throw new Unsupported();
        return String(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'object':
        if (value === null) throw new Unsupported();
        if (this.seen.has(value)) throw new Unsupported();
        this.seen.add(value);
        if (Array.isArray(value)) return this.seq(value, indent);
        if (isPlainObject(value)) return this.map(value as Record<string, unknown>, indent);
        throw new Unsupported();
      default:
        throw new Unsupported();
    }
  }

  private map(value: Record<string, unknown>, indent: string): string {
    const keys = Object.keys(value);
    if (keys.length === 0) {
      return '{}';
    }
    const childIndent = indent + INDENT_STEP;
    let out = '';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const item = value[key];
      if (item === undefined) throw new Unsupported();
      // stringifyPair(): a non-empty collection goes on the next line, indented; the rest follows ': '
      const body = this.node(item, childIndent);
      const separator = typeof item === 'object' && !isEmptyCollection(item) ? `\n${childIndent}` : ' ';
      out += `${i === 0 ? '' : `\n${indent}`}${stringScalar(key, this.tests, true, childIndent)}:${separator}${body}`;
    }
    return out;
  }

  private seq(value: unknown[], indent: string): string {
    if (value.length === 0) {
      return '[]';
    }
    const itemIndent = indent + INDENT_STEP;
    let out = '';
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || value[i] === undefined) throw new Unsupported();
      out += `${i === 0 ? '' : `\n${indent}`}- ${this.node(value[i], itemIndent)}`;
    }
    return out;
  }
}

/** One document, as `YAML.stringify(doc, CDK8S_YAML_OPTIONS)`. */
function stringifyDocument(doc: unknown): string {
  const loaded = loadSchema();
  if (loaded && typeof doc === 'object' && doc !== null && !Array.isArray(doc) && isPlainObject(doc)) {
    try {
      // A marked document's header comment (header-marks.ts); the `yaml` package prints it for cdk8s.
      return `${headerComment(doc)}${new Writer(loaded.tests).node(doc, '')}\n`;
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
    }
  }
  return Yaml.stringify(doc);
}

/** `Yaml.stringify(...docs)` of cdk8s. */
export function stringifyYaml(docs: any[]): string {
  return docs.map((r) => (r === undefined ? '\n' : stringifyDocument(r))).join('---\n');
}

/** `Yaml.save(filePath, docs)` of cdk8s. */
export function saveYaml(filePath: string, docs: any[]): void {
  fs.writeFileSync(filePath, stringifyYaml(docs), { encoding: 'utf8' });
}

/** Whether documents are written here (true) or all by the `yaml` package (false). @internal */
export function fastYamlEnabled(): boolean {
  return loadSchema() !== null;
}
