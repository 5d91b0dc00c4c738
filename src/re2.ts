import type * as re2js from 're2js';
import { fail } from './validation';

/**
 * Regular expressions the routers run are RE2's (Envoy's `safe_regex` for Istio and the Gateway
 * API implementations built on Envoy; Go's regexp, RE2 syntax, for Traefik and the loadtester):
 * lookarounds, backreferences, possessive quantifiers and atomic groups, which JavaScript's RegExp
 * accepts, are rejected there. re2js is a port of RE2's parser; it is loaded only when a
 * declaration has a regular expression.
 */
let parser: typeof re2js.RE2JS | undefined;

/** Why `pattern` is not an RE2 regular expression; undefined when it is one. */
export function re2Problem(pattern: string): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  parser ??= (require('re2js') as typeof re2js).RE2JS;
  try {
    parser.compile(pattern);
    return undefined;
  } catch (error: any) {
    // e.g. "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"
    return String(error?.message ?? error).replace(/^error parsing regexp: /, '').replace(/`([^`]*)`/g, "'$1'");
  }
}

/**
 * Whether `pattern` matches somewhere in `input`, as Go's `regexp.MatchString` does (RE2 syntax,
 * unanchored). `pattern` must be an RE2 regular expression (`checkRe2`).
 */
export function re2Finds(pattern: string, input: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  parser ??= (require('re2js') as typeof re2js).RE2JS;
  return parser.compile(pattern).test(input);
}

/** Who runs the routers' regular expressions. */
export const ROUTERS_MATCH_WITH_RE2 = 'Envoy and Istio match with RE2';

/**
 * `<subject> ('<value>') must be an RE2 regular expression (...): <what RE2 rejects>`, where
 * `subject` names the property, e.g. `'strategy.segments[0]' value for 'x-user'`.
 */
export function re2Message(subject: string, value: string, problem: string, matcher = ROUTERS_MATCH_WITH_RE2): string {
  return `${subject} ('${value}') must be an RE2 regular expression (${matcher}, which has no lookarounds, backreferences, `
    + `possessive quantifiers or atomic groups): ${problem}`;
}

/** Throws unless `value` is an RE2 regular expression. */
export function checkRe2(owner: string, property: string, value: string, matcher = ROUTERS_MATCH_WITH_RE2): string {
  const problem = re2Problem(value);
  if (problem !== undefined) fail(owner, re2Message(`'${property}'`, value, problem, matcher));
  return value;
}
