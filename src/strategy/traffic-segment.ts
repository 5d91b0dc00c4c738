import { ISO_3166_ALPHA_2, NOT_ISO_3166 } from './country-codes';
import { HeaderMatchKind } from '../analysis/steps';
import { checkArguments } from '../arguments/check-arguments';
import { re2Message, re2Problem } from '../re2';

/** Where a match condition looks. */
export enum MatchTarget {
  /** A request header (cookies are the `cookie` header). */
  HEADER = 'HEADER',
  /** A URL query parameter. */
  QUERY_PARAM = 'QUERY_PARAM',
}

/** One condition a request must meet to belong to a segment. */
export interface MatchCondition {
  /** Where it looks. */
  readonly target: MatchTarget;
  /** Header or query parameter name (headers lower-case). */
  readonly name: string;
  /** The value, or the regular expression (RE2) for `HeaderMatchKind.REGEX`. */
  readonly value: string;
  /** How the value is matched. */
  readonly kind: HeaderMatchKind;
}

/** Options for `TrafficSegment.header()`. */
export interface HeaderSegmentOptions {
  /**
   * How the value is matched.
   *
   * @default HeaderMatchKind.EXACT
   */
  readonly kind?: HeaderMatchKind;
  /**
   * What the segment is, for plans and messages.
   *
   * @default - "requests with header <name>: <value>"
   */
  readonly description?: string;
}

/** Options for `TrafficSegment.dogFood()`. */
export interface DogFoodOptions {
  /**
   * The header your employees' requests carry (set by your SSO proxy, a browser extension or a
   * client build). Either this or `cookie`.
   *
   * @default 'x-canary' (when no cookie is given)
   */
  readonly header?: string;
  /**
   * A cookie your employees carry instead of a header.
   *
   * @default - a header
   */
  readonly cookie?: string;
  /**
   * The value of the header or cookie.
   *
   * @default 'insider'
   */
  readonly value?: string;
}

/** Options for `TrafficSegment.region()`. */
export interface RegionSegmentOptions {
  /**
   * The header your edge sets to the client's country code (Cloudflare: `cf-ipcountry`, CloudFront:
   * `cloudfront-viewer-country`, Fastly: a header you configure).
   *
   * @default 'x-country-code'
   */
  readonly header?: string;
}

/** What kind of traffic a segment names. */
export enum SegmentKind {
  /** Requests that meet conditions (A/B testing): all of them go to the new version. */
  MATCH = 'MATCH',
  /** A random share of all requests, growing by weights (a canary). */
  SAMPLE = 'SAMPLE',
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** Escapes a literal for an RE2 regular expression. */
function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A named part of the traffic a release goes to: requests that match conditions (a header, a
 * cookie, a query parameter), or a random sample of everyone. Each factory says which request
 * selects it. Presets name the segments product teams ask for: `dogFood()` (employees),
 * `region()` (a country the edge reports), `userCohort()` (a user characteristic in a cookie) and
 * `randomSample()` (weights).
 */
export class TrafficSegment {
  /**
   * Requests with a header, e.g. `TrafficSegment.header('x-canary', 'always')`: selected by
   * `curl -H 'x-canary: always' ...`.
   *
   * @param name header name (case-insensitive; rendered lower-case)
   * @param value the value, or a regular expression with `kind: HeaderMatchKind.REGEX`
   */
  public static header(name: string, value: string, options: HeaderSegmentOptions = {}): TrafficSegment {
    checkArguments('TrafficSegment.header', [name, value, options]);
    const kind = options.kind ?? HeaderMatchKind.EXACT;
    return new TrafficSegment(SegmentKind.MATCH, options.description ?? `requests with header ${name.toLowerCase()}: ${value}`,
      [{ target: MatchTarget.HEADER, name: name.toLowerCase(), value, kind }], undefined);
  }

  /**
   * Requests with a cookie, e.g. `TrafficSegment.cookie('beta', 'true')`: selected by
   * `curl --cookie 'beta=true' ...`. Routers match it as a regular expression on the `cookie` header.
   */
  public static cookie(name: string, value: string, description?: string): TrafficSegment {
    checkArguments('TrafficSegment.cookie', [name, value, description]);
    const condition = { target: MatchTarget.HEADER, name: 'cookie', value: `^(.*?;\\s*)?(${escapeRegex(name)}=${escapeRegex(value)})(;.*)?$`, kind: HeaderMatchKind.REGEX };
    return new TrafficSegment(SegmentKind.MATCH, description ?? `requests with cookie ${name}=${value}`, [condition], undefined, { name, value });
  }

  /**
   * Requests with a query parameter, e.g. `TrafficSegment.queryParam('variant', 'b')`: selected by
   * `curl 'https://app.example.com/?variant=b'`. Only Flagger routes by query parameter.
   */
  public static queryParam(name: string, value: string): TrafficSegment {
    checkArguments('TrafficSegment.queryParam', [name, value]);
    return new TrafficSegment(SegmentKind.MATCH, `requests with query parameter ${name}=${value}`,
      [{ target: MatchTarget.QUERY_PARAM, name, value, kind: HeaderMatchKind.EXACT }], undefined);
  }

  /**
   * A random sample of all requests, growing through `weights` (percent, strictly increasing):
   * a weighted canary. Every request may be selected; which one is chance.
   */
  public static randomSample(weights: number[]): TrafficSegment {
    checkArguments('TrafficSegment.randomSample', [weights]);
    return new TrafficSegment(SegmentKind.SAMPLE, `a random ${weights.join(', ')}% of all requests`, [], [...weights]);
  }

  /**
   * Dog-fooding: your employees' requests, by a header (default `x-canary: insider`) or a cookie:
   * selected by `curl -H 'x-canary: insider' ...`.
   */
  public static dogFood(options: DogFoodOptions = {}): TrafficSegment {
    checkArguments('TrafficSegment.dogFood', [options]);
    const value = options.value ?? 'insider';
    if (options.cookie !== undefined) {
      return TrafficSegment.cookie(options.cookie, value, `employees (cookie ${options.cookie}=${value})`);
    }
    const header = options.header ?? 'x-canary';
    return TrafficSegment.header(header, value, { description: `employees (header ${header.toLowerCase()}: ${value})` });
  }

  /**
   * Requests from some countries, by the header your edge sets to the client's country code, e.g.
   * `TrafficSegment.region(['NZ', 'AU'])`: selected by `curl -H 'x-country-code: NZ' ...`.
   *
   * @param countryCodes ISO 3166-1 alpha-2 codes, e.g. `['NZ']` (the United Kingdom is `GB`, not `UK`)
   */
  public static region(countryCodes: string[], options: RegionSegmentOptions = {}): TrafficSegment {
    checkArguments('TrafficSegment.region', [countryCodes, options]);
    const header = (options.header ?? 'x-country-code').toLowerCase();
    const codes = countryCodes.map((code) => code.toUpperCase());
    return new TrafficSegment(SegmentKind.MATCH, `requests from ${codes.join(', ')} (header ${header})`,
      [{ target: MatchTarget.HEADER, name: header, value: `^(${codes.join('|')})$`, kind: HeaderMatchKind.REGEX }], undefined, undefined, codes);
  }

  /**
   * A group of users by a characteristic your app keeps in a cookie, e.g.
   * `TrafficSegment.userCohort('plan', 'free')`: selected by `curl --cookie 'plan=free' ...`.
   */
  public static userCohort(cookie: string, value: string): TrafficSegment {
    checkArguments('TrafficSegment.userCohort', [cookie, value]);
    return TrafficSegment.cookie(cookie, value, `users with ${cookie}=${value}`);
  }

  /** What kind of traffic it names. */
  public readonly kind: SegmentKind;
  /** The segment in words. */
  public readonly description: string;
  /** The conditions a request must all meet (MATCH segments). */
  public readonly conditions: MatchCondition[];
  /**
   * The weights a random sample grows through (SAMPLE segments).
   *
   * @default - not a sample
   */
  public readonly weights?: number[];
  /** @internal the cookie a cookie segment checks, for messages and load tests. */
  public readonly _cookie?: { name: string; value: string };
  /** @internal the country codes of a region segment, checked later. */
  public readonly _countryCodes?: string[];

  private constructor(
    kind: SegmentKind, description: string, conditions: MatchCondition[], weights: number[] | undefined,
    cookie?: { name: string; value: string }, countryCodes?: string[],
  ) {
    this.kind = kind;
    this.description = description;
    this.conditions = conditions;
    this.weights = weights;
    this._cookie = cookie;
    this._countryCodes = countryCodes;
  }

  /**
   * A request of this segment: headers (and a query string) that select it, for a load test that
   * passes through a router matching it; undefined when a regular expression of one's own leaves
   * no value to send.
   *
   * @internal
   */
  public _sampleRequest(): { headers: { [name: string]: string }; query?: string } | undefined {
    if (this.kind !== SegmentKind.MATCH) return { headers: {} };
    const headers: { [name: string]: string } = {};
    const query: string[] = [];
    for (const condition of this.conditions) {
      let value: string | undefined = condition.kind === HeaderMatchKind.REGEX ? undefined : condition.value;
      if (this._cookie && condition.name === 'cookie') value = `${this._cookie.name}=${this._cookie.value}`;
      if (this._countryCodes && condition.kind === HeaderMatchKind.REGEX) value = this._countryCodes[0];
      if (value === undefined) return undefined;
      if (condition.target === MatchTarget.QUERY_PARAM) query.push(`${encodeURIComponent(condition.name)}=${encodeURIComponent(value)}`);
      else headers[condition.name] = value;
    }
    return { headers, query: query.length ? query.join('&') : undefined };
  }

  /**
   * The problems of this segment's values, each naming the property (`property` is where the
   * segment sits in the declaration, e.g. `strategy.segments[0]`); empty when it is valid.
   *
   * @internal
   */
  public _problems(property: string): string[] {
    const problems: string[] = [];
    for (const condition of this.conditions) {
      if (condition.target === MatchTarget.HEADER && !HEADER_NAME.test(condition.name)) {
        problems.push(`'${property}' header name ('${condition.name}') must be an HTTP header name (letters, digits and !#$%&'*+.^_\`|~-)`);
      }
      if (condition.value === '' || /[\r\n]/.test(condition.value)) {
        problems.push(`'${property}' value for '${condition.name}' must not be empty or span lines`);
      }
      // A region's expression is built from its codes, which are checked below.
      const regexProblem = condition.kind === HeaderMatchKind.REGEX && !this._countryCodes ? re2Problem(condition.value) : undefined;
      if (regexProblem !== undefined) {
        problems.push(re2Message(`'${property}' value for '${condition.name}'`, condition.value, regexProblem));
      }
    }
    if (this._cookie && !COOKIE_NAME.test(this._cookie.name)) {
      problems.push(`'${property}' cookie name ('${this._cookie.name}') must be a cookie name (letters, digits and !#$%&'*+.^_\`|~-)`);
    }
    if (this._cookie && !/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/.test(this._cookie.value)) {
      problems.push(`'${property}' cookie value ('${this._cookie.value}') must be a cookie value (no spaces, quotes, commas, semicolons or backslashes)`);
    }
    for (const code of this._countryCodes ?? []) {
      if (!ISO_3166_ALPHA_2.has(code)) {
        const hint = NOT_ISO_3166[code] ? `'${code}' is reserved, not assigned: ${NOT_ISO_3166[code]}` : "e.g. 'NZ', 'GB', 'US'";
        problems.push(`'${property}' country code ('${code}') must be an ISO 3166-1 alpha-2 code, the codes edges send (${hint})`);
      }
    }
    if (this._countryCodes?.length === 0) problems.push(`'${property}' must name at least one country code`);
    if (this.weights !== undefined) {
      const w = this.weights;
      const ok = w.length > 0 && w.every((x, i) => Number.isInteger(x) && x >= 1 && x <= 100 && (i === 0 || x > w[i - 1]));
      if (!ok) problems.push(`'${property}' weights ([${w.join(', ')}]) must be a non-empty list of strictly increasing integers between 1 and 100`);
    }
    return problems;
  }
}
