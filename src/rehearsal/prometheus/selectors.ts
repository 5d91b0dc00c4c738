import type { LRParser } from '@lezer/lr';

/** One label matcher of a vector selector. */
export interface Matcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

let parser: LRParser | undefined;

function promQlParser(): LRParser {
  // The same parser analysis/promql.ts loads (CommonJS build of an ESM-typed package).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  parser ??= (require('@prometheus-io/lezer-promql') as { parser: LRParser }).parser;
  return parser;
}

function unquote(literal: string): string {
  const quote = literal[0];
  if (quote !== '"' && quote !== "'" && quote !== '`') return literal;
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  const escapes: { [c: string]: string } = { n: '\n', t: '\t', r: '\r' };
  return body.replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c);
}

/**
 * The vector selectors of a query: each as its matchers, the metric name as a `__name__` matcher.
 * Undefined when the query does not parse (then nothing can be ruled out).
 */
export function selectorsOf(query: string): Matcher[][] | undefined {
  const tree = promQlParser().parse(query);
  const selectors: Matcher[][] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) return undefined;
    if (cursor.name !== 'VectorSelector') continue;
    const node = cursor.node;
    const matchers: Matcher[] = [];
    const name = node.getChild('Identifier');
    if (name) matchers.push({ label: '__name__', op: '=', value: query.slice(name.from, name.to) });
    const list = node.getChild('LabelMatchers');
    for (let m = list?.firstChild ?? null; m; m = m.nextSibling) {
      if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
      const label = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
      const op = m.getChild('MatchOp');
      const value = m.getChild('StringLiteral');
      if (!label || !op || !value) continue;
      matchers.push({ label: unquote(query.slice(label.from, label.to)), op: query.slice(op.from, op.to) as Matcher['op'], value: unquote(query.slice(value.from, value.to)) });
    }
    selectors.push(matchers);
  } while (cursor.next());
  return selectors;
}

function matcherTest(matcher: Matcher): (value: string) => boolean {
  if (matcher.op === '=') return (v) => v === matcher.value;
  if (matcher.op === '!=') return (v) => v !== matcher.value;
  let regex: RegExp;
  try {
    // Prometheus anchors its regular expressions (RE2); the patterns queries use read the same in JavaScript.
    regex = new RegExp(`^(?:${matcher.value})$`, 's');
  } catch {
    return () => true;
  }
  return matcher.op === '=~' ? (v) => regex.test(v) : (v) => !regex.test(v);
}

/**
 * Whether a series can be read by any of the queries: it matches at least one of their vector
 * selectors. A series no selector matches cannot change any result, so the rehearsal does not write
 * it. A query that does not parse keeps every series.
 */
export function seriesFilter(queries: string[]): (labels: { readonly [name: string]: string }) => boolean {
  const selectors: ((labels: { readonly [name: string]: string }) => boolean)[] = [];
  for (const query of queries) {
    const parsed = selectorsOf(query);
    if (parsed === undefined) return () => true;
    for (const matchers of parsed) {
      const tests = matchers.map((m) => ({ label: m.label, test: matcherTest(m) }));
      selectors.push((labels) => tests.every((t) => t.test(labels[t.label] ?? '')));
    }
  }
  const cache = new Map<string, boolean>();
  return (labels) => {
    const key = JSON.stringify(labels);
    let result = cache.get(key);
    if (result === undefined) {
      result = selectors.some((s) => s(labels));
      cache.set(key, result);
    }
    return result;
  };
}
