import type { LRParser } from '@lezer/lr';
import { fail } from '../validation';

type SyntaxNode = ReturnType<LRParser['parse']>['topNode'];

/** A `{{ ... }}` placeholder: where it was in the query and where its value is in the substituted query. */
interface Placeholder {
  readonly start: number;
  readonly end: number;
  readonly valueStart: number;
  readonly valueEnd: number;
}

interface Substitution {
  readonly text: string;
  readonly placeholders: Placeholder[];
  /** Brackets and quotes still open at the end of the query, innermost last. */
  readonly unclosed: string[];
}

const FLAGGER_VALUES = new Map([
  ['name', 'podinfo'],
  ['namespace', 'test'],
  ['target', 'podinfo'],
  ['service', 'podinfo'],
  ['interval', '1m'],
]);
const DURATION_VALUE = '1m';
/** Argo `{{args.x}}`, Flagger `{{ variables.x }}` and unknown placeholders: an identifier parses as a label value, a metric name or a function argument. */
const PLAIN_VALUE = 'value';
const CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
/** Nodes whose value type is the type of their (only) expression child. */
const TRANSPARENT = new Set(['ParenExpr', 'UnaryExpr', 'OffsetExpr', 'StepInvariantExpr', 'AnchoredExpr', 'SmoothedExpr']);

let cachedParser: LRParser | undefined;

/** Values substituted for Flagger's Go-template variables and Argo's {{args.x}} placeholders before parsing. */
export function substituteTemplateVariables(query: string): string {
  return substitute(query).text;
}

/**
 * Throws unless `query` parses as PromQL after substitution, and its result is an instant vector or scalar
 * (Flagger and Argo need one number; a range vector or a string literal at the top level is rejected).
 */
export function checkPromQl(owner: string, property: string, query: string): void {
  if (query.trim() === '') {
    fail(owner, `'${property}' is empty: it must be a PromQL expression that returns one number, e.g. 'sum(rate(http_requests_total{code=~"5.."}[{{ interval }}]))'`);
  }
  const substitution = substitute(query);
  const tree = promQlParser().parse(substitution.text);

  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) {
      const what = describeError(query, substitution, cursor.from, cursor.to);
      fail(owner, `'${property}' is not valid PromQL: ${what} (after substituting template variables): ${query}`);
    }
  } while (cursor.next());

  let top = skipNonExpressions(tree.topNode.firstChild);
  while (top && TRANSPARENT.has(top.name)) {
    top = skipNonExpressions(top.firstChild);
  }
  if (top?.name === 'MatrixSelector' || top?.name === 'SubqueryExpr') {
    fail(owner, `'${property}' must return a single number, but it is a range vector: ${query}`);
  }
  if (top?.name === 'StringLiteral') {
    fail(owner, `'${property}' must return a single number, but it is a string: ${query}`);
  }
}

/** A label matcher of a vector selector, its value as written (template placeholders included). */
export interface LabelMatcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/**
 * The label matchers of every vector selector of a query (one list per selector), with their values
 * as written in the query, placeholders and all. The query must be valid (`checkPromQl`).
 */
export function vectorSelectors(query: string): LabelMatcher[][] {
  const substitution = substitute(query);
  const original = (node: SyntaxNode) => query.slice(
    toOriginal(substitution.placeholders, node.from, false), toOriginal(substitution.placeholders, node.to, true));
  const selectors: LabelMatcher[][] = [];
  const cursor = promQlParser().parse(substitution.text).cursor();
  do {
    if (cursor.name !== 'VectorSelector') continue;
    const matchers: LabelMatcher[] = [];
    const list = cursor.node.getChild('LabelMatchers');
    for (let m = list?.firstChild ?? null; m; m = m.nextSibling) {
      if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
      const name = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
      const op = m.getChild('MatchOp');
      const value = m.getChild('StringLiteral');
      if (!name || !op || !value) continue;
      matchers.push({ label: unquote(original(name)), op: original(op) as LabelMatcher['op'], value: unquote(original(value)) });
    }
    selectors.push(matchers);
  } while (cursor.next());
  return selectors;
}

/** A PromQL string literal's value: Go's escapes in '...' and "...", none in `...`. */
function unquote(literal: string): string {
  const quote = literal[0];
  if (quote !== '"' && quote !== "'" && quote !== '`') return literal;
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  const escapes: { [c: string]: string } = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };
  return body.replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c);
}

function promQlParser(): LRParser {
  // Loaded on first use (about 20 ms). `require` because the package's types are ESM-only, so TypeScript's
  // node16 resolution rejects a static import from CommonJS output (TS1479); its CommonJS build loads fine.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cachedParser ??= (require('@prometheus-io/lezer-promql') as { parser: LRParser }).parser;
  return cachedParser;
}

/** Scans the query outside string literals and comments, so it knows whether a placeholder sits in range brackets. */
function substitute(query: string): Substitution {
  const placeholders: Placeholder[] = [];
  const open: string[] = [];
  let text = '';
  let quote: string | undefined;
  let i = 0;
  while (i < query.length) {
    const close = query.startsWith('{{', i) ? query.indexOf('}}', i + 2) : -1;
    if (close >= 0) {
      const expression = query.slice(i + 2, close).trim();
      const isDuration = (!quote && open[open.length - 1] === '[') || (!quote && /\boffset\s*$/i.test(query.slice(0, i)));
      const value = isDuration ? DURATION_VALUE : FLAGGER_VALUES.get(expression) ?? PLAIN_VALUE;
      placeholders.push({ start: i, end: close + 2, valueStart: text.length, valueEnd: text.length + value.length });
      text += value;
      i = close + 2;
      continue;
    }
    const c = query[i];
    if (quote) {
      if (c === '\\' && quote !== '`') {
        text += c;
        i++;
      } else if (c === quote) {
        quote = undefined;
      }
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (c === '#') {
      const eol = query.indexOf('\n', i);
      const end = eol < 0 ? query.length : eol;
      text += query.slice(i, end);
      i = end;
      continue;
    } else if (c in CLOSING) {
      open.push(c);
    } else if (open.length > 0 && c === CLOSING[open[open.length - 1]]) {
      open.pop();
    }
    text += query.charAt(i);
    i++;
  }
  return { text, placeholders, unclosed: quote ? [...open, quote] : open };
}

function describeError(query: string, substitution: Substitution, from: number, to: number): string {
  const rest = substitution.text.slice(from);
  const skipped = rest.length - rest.trimStart().length;
  const start = toOriginal(substitution.placeholders, from === to ? from + skipped : from, false);
  const end = toOriginal(substitution.placeholders, from === to ? from + skipped + 1 : to, true);
  const bad = query.slice(start, end).trim();

  let what: string;
  if (bad) {
    what = `unexpected '${bad}'`;
  } else if (substitution.unclosed.length > 0) {
    what = `unexpected end of query ('${substitution.unclosed[substitution.unclosed.length - 1]}' is not closed)`;
  } else {
    what = 'unexpected end of query';
  }
  const before = query.slice(0, start).split('\n');
  const column = before[before.length - 1].length + 1;
  return query.includes('\n') ? `${what} at line ${before.length}, column ${column}` : `${what} at column ${column}`;
}

/** Maps an offset in the substituted query back to the query; an offset inside a value maps to its placeholder's start (or end). */
function toOriginal(placeholders: Placeholder[], offset: number, isEnd: boolean): number {
  let shift = 0;
  for (const p of placeholders) {
    if (offset < p.valueStart || (isEnd && offset === p.valueStart)) break;
    if (offset < p.valueEnd || (isEnd && offset === p.valueEnd)) return isEnd ? p.end : p.start;
    shift = p.end - p.valueEnd;
  }
  return offset + shift;
}

function skipNonExpressions(node: SyntaxNode | null): SyntaxNode | null {
  let n = node;
  while (n && (n.name === 'LineComment' || n.name === 'UnaryOp')) {
    n = n.nextSibling;
  }
  return n;
}
