import { Duration } from 'cdk8s';
import { fail } from '../validation';

/**
 * The queries of metrics backends other than Prometheus, in the form each controller sends them.
 * Graphite and New Relic have rules the controllers impose on the query itself (Flagger v1.44.0
 * pkg/metrics/providers; Argo Rollouts v1.9.1 metricproviders); they are checked here, and the
 * parts the library owns (the window) are written here, so that both engines send one request.
 */

const PLACEHOLDER = /\{\{[^}]*\}\}/g;
const INTERVAL_PLACEHOLDER = /\{\{\s*interval\s*\}\}/g;

// ---------------------------------------------------------------------------------------------
// Graphite: both engines request `<address>/render?<query>` with `format=json` set
// (flagger graphite.go RunQuery; argo-rollouts graphite/api.go Query), so the query is a URL query
// string: `target=<target>&from=-<window>`.
// ---------------------------------------------------------------------------------------------

/** A Graphite target as the user gives it: a series or a function of series, not a query string. */
export function checkGraphiteTarget(owner: string, property: string, target: string): void {
  const rule = "a Graphite target (a series or a function of series, e.g. 'sumSeries(podinfo.canary.errors)'): "
    + "both controllers request '<address>/render?<query>', and the library writes the query as 'target=<target>&from=-<interval>'";
  if (/^\s*(target|from|until)\s*=/i.test(target) || outsideQuotes(target).includes('&')) {
    fail(owner, `'${property}' ('${target}') must be ${rule}; leave out 'target=', 'from=' and '&'`);
  }
}

/**
 * `target=<target>&from=-<seconds>s`: the target URL-encoded (Go's url.ParseQuery decodes it; `;`
 * would otherwise drop the pair, `+` become a space, `#` end the URL), template placeholders left
 * as they are for the controller to fill in. `{{ interval }}` inside the target becomes the window
 * in seconds: Flagger renders it as `1m`, which Graphite rejects (attime.py getUnitString: "m" is
 * no unit, minutes are "min").
 */
export function graphiteQuery(target: string, window: Duration): string {
  const seconds = `${window.toSeconds()}s`;
  const withWindow = target.trim().replace(INTERVAL_PLACEHOLDER, seconds);
  return `target=${encodeOutsidePlaceholders(withWindow)}&from=-${seconds}`;
}

function encodeOutsidePlaceholders(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    out += encodeURIComponent(text.slice(last, match.index)) + match[0];
    last = match.index! + match[0].length;
  }
  return out + encodeURIComponent(text.slice(last));
}

// ---------------------------------------------------------------------------------------------
// New Relic. Flagger (newrelic.go): GET <address>/v1/accounts/<id>/query?nrql=<query> SINCE <n>
// seconds ago, and the value is `results[0].result`, which NRQL gives an arithmetic expression of
// aggregates (Flagger's own test: `SELECT sum(x) / 1 FROM ...`); a lone function names its column
// after itself (`sum`, `count`: flagger#1584). Argo Rollouts (newrelic.go): NerdGraph runs the
// query as it is, and the row is keyed by the column's alias.
// ---------------------------------------------------------------------------------------------

/** Clauses that start at the top level of an NRQL query. */
const NRQL_CLAUSES = new Set(['SELECT', 'FROM', 'WHERE', 'FACET', 'SINCE', 'UNTIL', 'LIMIT', 'TIMESERIES', 'COMPARE', 'WITH', 'OFFSET', 'EXTRAPOLATE', 'ORDER', 'JOIN', 'SHOW']);
/** Clauses that would make the result more than one number, or set a window of their own. */
const NRQL_FORBIDDEN: { [clause: string]: string } = {
  SINCE: "the window is the metric's interval: Flagger appends ' SINCE <n> seconds ago' itself (a second SINCE is an NRQL syntax error), and the library appends the same for Argo Rollouts",
  UNTIL: "the window is the metric's interval, up to now: Flagger appends ' SINCE <n> seconds ago' itself, and the library appends the same for Argo Rollouts",
  FACET: 'FACET returns one row per facet, and the check needs one number',
  TIMESERIES: 'TIMESERIES returns a series of buckets, and the check needs one number',
  COMPARE: 'COMPARE WITH returns two values, and the check needs one number',
};

/** The top level of an NRQL query: its clauses, and the SELECT expression. */
interface Nrql {
  readonly clauses: { readonly word: string; readonly start: number }[];
  /** Where the SELECT expression starts and ends (after its alias, if any). */
  readonly select?: { readonly start: number; readonly end: number };
  /** The alias of the selected value, if any, and where the expression before it ends. */
  readonly alias?: { readonly name: string; readonly expressionEnd: number };
  /** Whether the SELECT expression combines aggregates with + - * / at its top level. */
  readonly arithmetic: boolean;
  /** Whether it selects more than one value (a top-level comma). */
  readonly severalColumns: boolean;
}

/** Scans the query's top level: quotes, backticks and parentheses (a filter's WHERE) are skipped. */
function scanNrql(query: string): Nrql {
  const words: { word: string; start: number; end: number }[] = [];
  const operators: number[] = [];
  const commas: number[] = [];
  let depth = 0;
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    if (query.startsWith('{{', i)) {
      const close = query.indexOf('}}', i + 2);
      i = close < 0 ? query.length : close + 2;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(query, i);
      continue;
    }
    if (depth === 0 && /[A-Za-z_]/.test(c)) {
      const end = i + /^[A-Za-z0-9_.]*/.exec(query.slice(i))![0].length;
      words.push({ word: query.slice(i, end), start: i, end });
      i = end;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')') depth = Math.max(0, depth - 1);
    if (depth === 0 && '+-*/'.includes(c)) operators.push(i);
    if (depth === 0 && c === ',') commas.push(i);
    i++;
  }
  const clauses = words.filter((w) => NRQL_CLAUSES.has(w.word.toUpperCase()))
    .map((w) => ({ word: w.word.toUpperCase(), start: w.start, end: w.end }));
  const selectAt = clauses.findIndex((c) => c.word === 'SELECT');
  if (selectAt < 0) return { clauses, arithmetic: false, severalColumns: false };
  const start = clauses[selectAt].end;
  const end = clauses[selectAt + 1]?.start ?? query.length;
  const asWord = words.find((w) => w.start >= start && w.start < end && w.word.toUpperCase() === 'AS');
  const expressionEnd = asWord?.start ?? end;
  const inExpression = (at: number) => at >= start && at < expressionEnd;
  const aliasText = asWord ? query.slice(asWord.end, end).trim() : undefined;
  return {
    clauses,
    select: { start, end },
    alias: aliasText === undefined ? undefined : { name: aliasText.replace(/^['"`]|['"`]$/g, ''), expressionEnd },
    arithmetic: operators.some(inExpression) && query.slice(start, expressionEnd).trim() !== '*',
    severalColumns: commas.some((at) => at >= start && at < end),
  };
}

function skipQuoted(text: string, at: number): number {
  const quote = text[at];
  let i = at + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

function outsideQuotes(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === "'" || text[i] === '"') {
      i = skipQuoted(text, i);
      continue;
    }
    out += text[i++];
  }
  return out;
}

/** What both engines need of an NRQL query: one SELECT of one value, and no window of its own. */
export function checkNrql(owner: string, property: string, query: string): void {
  const nrql = scanNrql(query);
  if (nrql.select === undefined || nrql.clauses.filter((c) => c.word === 'SELECT').length !== 1 || !nrql.clauses.some((c) => c.word === 'FROM')) {
    fail(owner, `'${property}' ('${query}') must be one NRQL SELECT ... FROM ... query that returns one number, e.g. "SELECT filter(count(*), WHERE error IS true) / count(*) * 100 FROM Transaction WHERE appName = '{{ target }}'"`);
  }
  for (const clause of nrql.clauses) {
    const why = NRQL_FORBIDDEN[clause.word];
    if (why) fail(owner, `'${property}' ('${query}') must not contain ${clause.word}: ${why}`);
  }
  if (nrql.severalColumns) {
    fail(owner, `'${property}' ('${query}') selects several values; the check needs one number: select one expression`);
  }
}

/**
 * Flagger reads only `results[0].result` (newrelic.go RunQuery): the key NRQL gives an arithmetic
 * expression of aggregates. An alias or a lone function gives another key, and Flagger halts with
 * "no values found".
 */
export function checkFlaggerNrql(owner: string, property: string, query: string): void {
  const nrql = scanNrql(query);
  const why = "Flagger reads only the key 'result' of the first row (pkg/metrics/providers/newrelic.go, RunQuery), "
    + 'which NRQL gives to an arithmetic expression of aggregates; other columns are named after their function or alias, and Flagger halts with "no values found"';
  if (nrql.alias) {
    fail(owner, `'${property}' ('${query}') names its value (AS ${nrql.alias.name}): ${why}; leave out the alias (for Argo Rollouts the library names the value itself)`);
  }
  if (!nrql.arithmetic) {
    fail(owner, `'${property}' ('${query}') must select an arithmetic expression of aggregates, e.g. 'filter(count(*), WHERE error IS true) / count(*) * 100' or 'sum(x) / 1': ${why}`);
  }
}

/**
 * The query as Argo Rollouts sends it to NerdGraph: the value named `value` (the condition reads
 * `result.value`), and the metric's window appended, as Flagger appends it.
 */
export function argoNrql(owner: string, property: string, query: string, window: Duration): string {
  const nrql = scanNrql(query);
  const trimmed = query.trimEnd();
  const since = ` SINCE ${window.toSeconds()} seconds ago`;
  if (nrql.alias) {
    if (nrql.alias.name !== 'value') {
      fail(owner, `'${property}' ('${query}') names its value '${nrql.alias.name}': the condition reads result.value (NerdGraph keys the row by the alias); name it value or leave the alias out`);
    }
    return trimmed + since;
  }
  const end = query.slice(0, nrql.select!.end).trimEnd().length;
  return `${query.slice(0, end)} AS value${trimmed.slice(end)}${since}`;
}
