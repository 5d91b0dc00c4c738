import { Construct } from 'constructs';
import { CALLABLES, CLASSES, ENUMS, FACTORIES, INTERFACES, STRUCTS } from './api-types';
import { DeclarationError } from '../validation';

/**
 * Run-time type checks of the arguments of the public API, for the callers TypeScript does not
 * check (plain JavaScript, and the languages jsii serves): a required option left out, a string
 * where a number is expected, `NaN`, a Duration that is not one. The types are the jsii
 * assembly's (api-types.ts, generated); what a value must be beyond its type (ranges, formats) is
 * checked where the value is used, with the same form of message:
 * `CanaryMetric.requestDuration(): 'max' (undefined) is required: a Duration, e.g. Duration.millis(500)`.
 */

let libraryExports: { [name: string]: any } | undefined;
let kplusExports: { [name: string]: any } | undefined;

/**
 * The library's own classes and enums, by name: loaded on first use (this module is imported by
 * them), then kept, since `require` resolves the path anew at every call.
 */
function library(): { [name: string]: any } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return libraryExports ??= require('../index');
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const kplus = () => (kplusExports ??= require('cdk8s-plus-28'));

/** What a value of another library's type must be. */
const EXTERNAL: { [fqn: string]: { readonly describe: string; readonly test: (value: any) => boolean } } = {
  'cdk8s.Duration': { describe: 'a Duration of a whole number of milliseconds, e.g. Duration.seconds(30)', test: isDuration },
  'cdk8s.ApiObject': { describe: 'a cdk8s ApiObject', test: (v) => Construct.isConstruct(v) && typeof (v as any).toJson === 'function' },
  'cdk8s.ApiObjectMetadata': { describe: 'an object (ApiObjectMetadata)', test: isPlainObject },
  'cdk8s.App': { describe: 'a cdk8s App', test: (v) => Construct.isConstruct(v) && typeof (v as any).synth === 'function' },
  'constructs.Construct': { describe: 'a construct, e.g. a Chart', test: (v) => Construct.isConstruct(v) },
  'constructs.IConstruct': { describe: 'a construct, e.g. a Chart', test: (v) => Construct.isConstruct(v) },
  'cdk8s-plus-28.ContainerResources': { describe: 'an object (cdk8s-plus-28 ContainerResources: cpu, memory, ephemeralStorage)', test: isPlainObject },
  // Interfaces of cdk8s-plus-28 have no class to test with instanceof: what the library reads of them.
  'cdk8s-plus-28.IServiceAccount': {
    describe: "a cdk8s-plus-28 service account, e.g. kplus.ServiceAccount.fromServiceAccountName(chart, 'sa', 'web')",
    test: (v) => isPlainObject(v) && typeof v.name === 'string',
  },
  'cdk8s-plus-28.IPodSelector': {
    describe: "cdk8s-plus-28 pods, e.g. kplus.Pods.select(chart, 'cache', { labels: { app: 'cache' } })",
    test: (v) => isPlainObject(v) && typeof v.toPodSelectorConfig === 'function',
  },
  '@cdktf/provider-helm.provider.HelmProvider': { describe: 'a HelmProvider of @cdktf/provider-helm', test: (v) => Construct.isConstruct(v) },
  '@cdktf/provider-helm.release.Release': { describe: 'a Release of @cdktf/provider-helm', test: (v) => Construct.isConstruct(v) },
};

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isDuration(value: any): boolean {
  if (value === null || typeof value !== 'object' || typeof value.toMilliseconds !== 'function') return false;
  try {
    return Number.isFinite(value.toMilliseconds());
  } catch {
    // cdk8s throws for an amount that is no whole number of milliseconds (NaN, Infinity, 0.5 ms).
    return false;
  }
}

/** Another library's type without a rule above: a cdk8s-plus-28 class (checked with instanceof), or any object. */
function external(fqn: string): { describe: string; test: (value: unknown) => boolean } {
  const known = EXTERNAL[fqn];
  if (known) return known;
  const [module, name] = [fqn.slice(0, fqn.lastIndexOf('.')), fqn.slice(fqn.lastIndexOf('.') + 1)];
  if (module === 'cdk8s-plus-28') {
    return { describe: `a cdk8s-plus-28 ${name}`, test: (v) => typeof kplus()[name] !== 'function' || v instanceof kplus()[name] };
  }
  return { describe: `a ${fqn}`, test: (v) => v !== null && typeof v === 'object' };
}

const article = (noun: string) => (/^[AEIOU]/.test(noun) ? `an ${noun}` : `a ${noun}`);

/** What a value of `type` is, in words. */
export function describeType(type: string): string {
  const t = type.replace(/^\?/, '');
  if (t.endsWith('[]')) return `a list (each ${describeType(t.slice(0, -2))})`;
  if (t === '{any}') return 'an object';
  if (t.startsWith('{')) return `an object of names to values (each ${describeType(t.slice(1, -1))})`;
  switch (t) {
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'boolean': return 'true or false';
    case 'any': return 'any value';
  }
  if (STRUCTS[t]) return `an object (${t})`;
  if (ENUMS.includes(t)) {
    const values = library()[t] ?? {};
    return `one of ${Object.keys(values).map((member) => `${t}.${member}`).join(', ')}`;
  }
  if (CLASSES.includes(t) || INTERFACES[t]) return `${article(t)}${FACTORIES[t] ? `, e.g. ${FACTORIES[t]}` : ''}`;
  return external(t).describe;
}

/** A value as messages show it. */
export function showValue(value: unknown): string {
  const cut = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text);
  if (typeof value === 'string') return `'${cut(value)}'`;
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object') return String(value);
  const v = value as any;
  if (typeof v.toMilliseconds === 'function' && typeof v.unitLabel === 'function') {
    return `Duration of ${v.amount} ${v.unitLabel()}`;
  }
  const constructor = Object.getPrototypeOf(v)?.constructor?.name;
  if (!Array.isArray(v) && constructor && constructor !== 'Object') return `a ${constructor}`;
  try {
    return cut(JSON.stringify(v) ?? String(v));
  } catch {
    return Array.isArray(v) ? '[...]' : '{...}';
  }
}

/** A type of api-types.ts, parsed once. */
interface Parsed {
  readonly type: string;
  readonly optional: boolean;
  readonly kind: 'any' | 'string' | 'number' | 'boolean' | 'array' | 'map' | 'struct' | 'enum' | 'class' | 'interface' | 'external';
  readonly element?: Parsed;
  readonly properties?: ReadonlyArray<readonly [string, Parsed]>;
}

const parsedTypes = new Map<string, Parsed>();

function parse(type: string): Parsed {
  let parsed = parsedTypes.get(type);
  if (parsed !== undefined) return parsed;
  const optional = type.startsWith('?');
  const t = optional ? type.slice(1) : type;
  const kind: Parsed['kind'] = t.endsWith('[]') ? 'array'
    : t.startsWith('{') ? 'map'
      : ['any', 'string', 'number', 'boolean'].includes(t) ? t as Parsed['kind']
        : STRUCTS[t] ? 'struct'
          : ENUMS.includes(t) ? 'enum'
            : CLASSES.includes(t) ? 'class'
              : INTERFACES[t] ? 'interface' : 'external';
  parsed = { type: t, optional, kind };
  parsedTypes.set(type, parsed);
  // Filled in after the entry exists, so that recursive structs end.
  if (kind === 'array') Object.assign(parsed, { element: parse(t.slice(0, -2)) });
  if (kind === 'map') Object.assign(parsed, { element: parse(t.slice(1, -1)) });
  if (kind === 'struct') Object.assign(parsed, { properties: Object.entries(STRUCTS[t]).map(([name, p]) => [name, parse(p)] as const) });
  return parsed;
}

const enumValues = new Map<string, Set<unknown>>();

/** The type problems of `value` against `type`, each `'<path>' (<value>) ...`. */
export function valueProblems(value: unknown, type: string, path: string, problems: string[] = []): string[] {
  check(value, parse(type), () => path, problems);
  return problems;
}

/** `at` makes the path only when there is a problem to report (most values have none). */
function check(value: unknown, parsed: Parsed, at: () => string, problems: string[]): void {
  const { kind, optional, type: t } = parsed;
  if (kind === 'any') return;
  const named = () => `'${at()}' (${showValue(value)})`;
  if (value === undefined || value === null) {
    if (!optional) problems.push(`${named()} is required: ${describeType(t)}`);
    else if (value === null) problems.push(`${named()} must be ${describeType(t)}, or left out`);
    return;
  }
  const wrong = () => void problems.push(`${named()} must be ${describeType(t)}`);
  switch (kind) {
    case 'string': if (typeof value !== 'string') wrong(); return;
    case 'boolean': if (typeof value !== 'boolean') wrong(); return;
    case 'number':
      if (typeof value !== 'number') wrong();
      else if (!Number.isFinite(value)) problems.push(`${named()} must be a finite number`);
      return;
    case 'array':
      if (!Array.isArray(value)) return wrong();
      value.forEach((item, i) => check(item, parsed.element!, () => `${at()}[${i}]`, problems));
      return;
    case 'map':
      if (!isPlainObject(value)) return wrong();
      for (const key of Object.keys(value as object)) check((value as any)[key], parsed.element!, () => `${at()}[${key}]`, problems);
      return;
    case 'struct':
      if (!isPlainObject(value)) return wrong();
      for (const [property, propertyType] of parsed.properties!) {
        check((value as any)[property], propertyType, () => (at() ? `${at()}.${property}` : property), problems);
      }
      return;
    case 'enum': {
      let values = enumValues.get(t);
      if (values === undefined) enumValues.set(t, values = new Set(Object.values(library()[t] ?? {})));
      if (!values.has(value)) wrong();
      return;
    }
    case 'class': {
      const constructor = library()[t];
      if (typeof constructor === 'function' && !(value instanceof constructor)) wrong();
      return;
    }
    case 'interface': {
      const lacks = typeof value !== 'object' || Object.entries(INTERFACES[t]).some(([member, memberType]) =>
        (memberType === 'method' ? typeof (value as any)[member] !== 'function' : !memberType.startsWith('?') && !(member in (value as any))));
      if (lacks) wrong();
      return;
    }
    default:
      if (!external(t).test(value)) wrong();
  }
}

/**
 * The type problems of a call's arguments, with the owner, e.g.
 * `CanaryMetric.requestDuration(): 'max' (undefined) is required: ...`. A struct argument's
 * properties are named alone (`'max'`, not `'options.max'`); other arguments by their name.
 */
export function argumentErrors(owner: string, signature: string, args: ArrayLike<unknown>): string[] {
  const parameters = CALLABLES[signature];
  if (parameters === undefined) throw new Error(`cdk8s-canary: no argument types for '${signature}': run 'npx projen compile && npx projen argument-types'`);
  return parameters.flatMap(([name, type], i) => {
    const bare = type.replace(/^\?/, '');
    const path = STRUCTS[bare] && isPlainObject(args[i]) ? '' : name;
    return valueProblems(args[i], type, path);
  }).map((problem) => `${owner}: ${problem}`);
}

/** The owner a call's messages name: `CanaryMetric.requestDuration()`, `FlaggerCanary 'cart'`, `new FlaggerEngine()`. */
function ownerOf(signature: string, args: ArrayLike<unknown>): string {
  const [type, method] = signature.split('.');
  if (method !== 'new') return `${type}.${method}()`;
  const parameters = CALLABLES[signature] ?? [];
  return parameters[1]?.[0] === 'id' && typeof args[1] === 'string' ? `${type} '${args[1]}'` : `new ${type}()`;
}

/**
 * Throws one DeclarationError with every type problem of a call's arguments (`signature` is
 * `<Class>.<method>`, or `<Class>.new` for a constructor); returns the first argument, so that a
 * constructor can check before it calls `super(scope, id)`.
 */
export function checkArguments<T>(signature: string, args: ArrayLike<unknown>, owner = ownerOf(signature, args)): T {
  const problems = argumentErrors(owner, signature, args);
  if (problems.length > 0) throw new DeclarationError(problems);
  return args[0] as T;
}

/**
 * Throws when a construct cannot even be created (its scope is no construct, its id no string);
 * returns the scope, for `super(checkConstructScope(...), id)`. The props are checked after.
 */
export function checkConstructScope(type: string, scope: unknown, id: unknown): Construct {
  const parameters = CALLABLES[`${type}.new`] ?? [];
  const problems = parameters.slice(0, 2).flatMap(([name, kind], i) => valueProblems([scope, id][i], kind, name))
    .map((problem) => `${type}${typeof id === 'string' ? ` '${id}'` : ''}: ${problem}`);
  if (problems.length > 0) throw new DeclarationError(problems);
  return scope as Construct;
}
