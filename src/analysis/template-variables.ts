import { fail } from '../validation';

/**
 * The placeholders a query of your own may hold, as each controller fills them in. Flagger renders
 * a MetricTemplate's query with Go's text/template and its own functions (pkg/apis/flagger/v1beta1
 * metric.go, TemplateFunctions; an unknown one fails the render); Argo Rollouts replaces
 * `{{args.<name>}}` with the analysis's arguments (an unknown one fails the analysis). The library
 * translates Flagger's variables for Argo Rollouts.
 */

/** Flagger's template functions that a CanaryService's Canary gives a value (`variables` needs templateVariables, which it does not set). */
export const FLAGGER_VARIABLES = ['name', 'namespace', 'target', 'service', 'ingress', 'route', 'interval'];
/** The Flagger variables the library translates into Argo Rollouts arguments. */
const TRANSLATED = ['name', 'namespace', 'target', 'service', 'interval'];

const PLACEHOLDER = /\{\{([^}]*)\}\}/g;

/** Every placeholder of a query under Flagger is one of its template functions. */
export function checkFlaggerVariables(owner: string, property: string, query: string): void {
  for (const [placeholder, inner] of query.matchAll(PLACEHOLDER)) {
    const name = inner.trim();
    if (FLAGGER_VARIABLES.includes(name)) continue;
    const argo = /^args\./.test(name) ? ' is Argo Rollouts\' syntax, and' : '';
    fail(owner, `'${property}' ('${query}') uses ${placeholder}, which${argo} Flagger cannot render (its template functions here: ${FLAGGER_VARIABLES.map((v) => `{{ ${v} }}`).join(', ')})`);
  }
}

/**
 * Every placeholder of a query under Argo Rollouts is one of Flagger's variables the library
 * translates, or an argument the analysis passes.
 */
export function checkArgoPlaceholders(owner: string, property: string, query: string, argumentNames: string[]): void {
  for (const [placeholder, inner] of query.matchAll(PLACEHOLDER)) {
    const name = inner.trim();
    if (TRANSLATED.includes(name)) continue;
    const arg = /^args\.([-\w]+)$/.exec(name)?.[1];
    if (arg !== undefined && argumentNames.includes(arg)) continue;
    const allowed = `${TRANSLATED.map((v) => `{{ ${v} }}`).join(', ')} or an argument of the analysis (${argumentNames.map((a) => `{{args.${a}}}`).join(', ')})`;
    fail(owner, `'${property}' ('${query}') uses ${placeholder}, which Argo Rollouts cannot fill in with this router: use ${allowed}`);
  }
}

/** The names of the arguments a text refers to (`{{args.<name>}}`). */
export function argumentsUsed(text: string): string[] {
  return [...new Set([...text.matchAll(/\{\{\s*args\.([-\w]+)\s*\}\}/g)].map((m) => m[1]))];
}
