import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { App as CdktfApp, TerraformStack } from 'cdktf';
import * as lib from '../../src';
import { CALLABLES, CLASSES, ENUMS, INTERFACES, STRUCTS } from '../../src/arguments/api-types';
import { describeType, showValue } from '../../src/arguments/check-arguments';
import { DeclarationError } from '../../src/validation';

/**
 * Every public constructor, static method and user-facing method of the library, from the
 * generated table of the jsii assembly (so a new one is covered without a word here): called by
 * an untyped caller with a required argument left out, with an argument of the wrong type, and
 * with each property of a struct argument of the wrong type, it throws a DeclarationError whose
 * messages name that argument or property, never a TypeError.
 */

/** Methods the library itself calls with values it made (the engine and router protocol), and one that takes anything. */
const NOT_CALLED_BY_USERS: { [method: string]: string } = {
  bind: 'IDeliveryEngine protocol: CanaryService calls it with its own DeliveryContext',
  loadDuration: 'IDeliveryEngine protocol',
  needsLoadTester: 'IDeliveryEngine protocol',
  bindArgoRollouts: 'ITrafficRouter protocol: the Argo Rollouts engine calls it',
  bindFlagger: 'ITrafficRouter protocol: the Flagger engine calls it',
  builtInQuery: 'ITrafficRouter protocol',
  loadTarget: 'ITrafficRouter protocol',
  routerMetrics: 'ITrafficRouter protocol',
  supports: 'ITrafficRouter protocol',
  isCanaryService: 'takes any value by design',
};

const IMAGE = 'ghcr.io/stefanprodan/podinfo:6.7.0';

/** An object to call an instance method on, per class. */
function receiver(type: string): any {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
  const service = (engine: lib.IDeliveryEngine) => new lib.CanaryService(chart, 'cart', {
    image: IMAGE, engine, router: lib.TrafficRouter.traefik({ hosts: ['app.example.com'] }), analysis: { webhooks: [lib.CanaryWebhook.loadTest()] },
  });
  const plan = () => new lib.PlatformPlan({ engines: [lib.PlatformEngine.FLAGGER], routers: [lib.PlatformRouter.TRAEFIK] });
  switch (type) {
    case 'FlaggerCanary': return service(lib.DeliveryEngine.flagger()).canary;
    case 'LoadTester': return service(lib.DeliveryEngine.flagger()).loadTester;
    case 'Prometheus': return service(lib.DeliveryEngine.flagger()).prometheus;
    case 'TraefikIngressRoute': return service(lib.DeliveryEngine.flagger()).ingressRoute;
    case 'ArgoAnalysisTemplate': return service(lib.DeliveryEngine.argoRollouts()).analysisTemplate;
    case 'PlatformPlan': return plan();
    case 'FluxPlatform': return new lib.FluxPlatform(chart, 'flux', { plan: plan() });
    case 'CanaryPlatform': return new lib.CanaryPlatform(new TerraformStack(new CdktfApp(), 'platform'), 'canary', { plan: plan() });
  }
  throw new Error(`no receiver for ${type}: add one to test/arguments/check-arguments.test.ts`);
}

/** A value of the type that passes the type check (not necessarily the later checks). */
function valid(type: string): unknown {
  const t = type.replace(/^\?/, '');
  if (t.endsWith('[]')) return [];
  if (t.startsWith('{')) return {};
  switch (t) {
    case 'string': return 'a';
    case 'number': return 1;
    case 'boolean': return true;
    case 'any': return {};
    case 'cdk8s.Duration': return Duration.seconds(30);
    case 'constructs.Construct':
    case 'constructs.IConstruct': return new Chart(Testing.app(), 'shop', { namespace: 'shop' });
    case 'cdk8s.App': return Testing.app();
  }
  if (STRUCTS[t] || t === 'cdk8s.ApiObjectMetadata' || t === 'cdk8s-plus-28.ContainerResources') return {};
  if (ENUMS.includes(t)) return Object.values((lib as any)[t])[0];
  if (t === 'cdk8s-plus-28.Deployment') return new kplus.Deployment(new Chart(Testing.app(), 'c'), 'd', { containers: [{ image: IMAGE }] });
  if (t === 'DeliveryStrategy') return lib.DeliveryStrategy.canary();
  if (t === 'TrafficSegment') return lib.TrafficSegment.dogFood();
  if (t === 'CanaryMetric') return lib.CanaryMetric.requestSuccessRate();
  if (t === 'CanaryWebhook') return lib.CanaryWebhook.loadTest();
  if (t === 'CanaryAlert') return lib.CanaryAlert.slack({ secretName: 'slack' });
  if (t === 'PlatformPlan') return new lib.PlatformPlan({ engines: [lib.PlatformEngine.FLAGGER], routers: [lib.PlatformRouter.TRAEFIK] });
  throw new Error(`no valid value of ${t}: add one to test/arguments/check-arguments.test.ts`);
}

/** A value of another type. */
function wrong(type: string): unknown {
  const t = type.replace(/^\?/, '');
  if (t === 'number') return '1';
  if (t === 'string') return 42;
  if (t === 'boolean') return 'yes';
  if (ENUMS.includes(t)) return 'NOT_A_MEMBER';
  if (t === 'cdk8s.Duration') return 30;
  return t.endsWith('[]') || t.startsWith('{') || STRUCTS[t] || t === 'cdk8s.ApiObjectMetadata' || t === 'cdk8s-plus-28.ContainerResources' ? 'x' : {};
}

const CALLED_BY_USERS = Object.entries(CALLABLES).filter(([signature]) => !NOT_CALLED_BY_USERS[signature.split('.')[1]]);

/** Calls `signature` with `args`; the DeclarationError's messages (CanaryService collects them instead). */
function messagesOf(signature: string, args: unknown[]): string[] {
  const [type, method] = signature.split('.');
  const constructor = (lib as any)[type];
  try {
    if (method === 'new') {
      const made = new constructor(...args);
      if (type === 'CanaryService') return made._declarationErrors;
    } else if (typeof constructor[method] === 'function') {
      constructor[method](...args);
    } else {
      receiver(type)[method](...args);
    }
  } catch (error) {
    if (!(error instanceof DeclarationError)) throw error;
    return error.messages;
  }
  return [];
}

describe.each(CALLED_BY_USERS)('%s', (signature, parameters) => {
  const baseline = () => parameters.map(([, type]) => valid(type));

  test.each(parameters.map(([name, type], i) => [name, type, i] as const))("argument '%s' (%s): left out or of another type, it is named", (name, type, i) => {
    const bare = type.replace(/^\?/, '');
    if (!type.startsWith('?') && bare !== 'any') {
      const args = baseline();
      args[i] = undefined;
      const messages = messagesOf(signature, args);
      expect(messages.some((m) => m.includes(`'${name}' (undefined) is required: ${describeType(bare)}`))).toBe(true);
    }
    if (bare !== 'any' && bare !== '{any}') {
      const args = baseline();
      args[i] = wrong(bare);
      const messages = messagesOf(signature, args);
      expect(messages.some((m) => m.includes(`'${name}' (${showValue(args[i])}) must be ${describeType(bare)}`))).toBe(true);
    }
  });

  const structs = parameters.map(([name, type], i) => [name, type.replace(/^\?/, ''), i] as const).filter(([, type]) => STRUCTS[type]);
  const properties = structs.flatMap(([, type, i]) => Object.entries(STRUCTS[type])
    .map(([property, propertyType]) => [type, property, propertyType, i] as const));
  if (properties.length > 0) {
    test.each(properties)('%s.%s (%s): of another type, it is named', (_struct, property, propertyType, i) => {
      if (propertyType.replace(/^\?/, '') === 'any') return;
      const args = baseline();
      args[i] = { [property]: wrong(propertyType) };
      const messages = messagesOf(signature, args);
      expect(messages.some((m) => m.includes(`'${property}' (${showValue(wrong(propertyType))}) must be ${describeType(propertyType)}`))).toBe(true);
    });
  }
});

test('the table knows every class, enum and interface the structs and parameters name', () => {
  const named = [...Object.values(STRUCTS).flatMap((s) => Object.values(s)), ...Object.values(CALLABLES).flatMap((ps) => ps.map(([, t]) => t))]
    .map((t) => t.replace(/^\?/, '').replace(/\[\]$/, '').replace(/^\{(.*)\}$/, '$1').replace(/\[\]$/, ''))
    .filter((t) => !t.includes('.') && !['string', 'number', 'boolean', 'any'].includes(t));
  for (const type of new Set(named)) {
    expect([STRUCTS[type] !== undefined, CLASSES.includes(type), ENUMS.includes(type), INTERFACES[type] !== undefined].some(Boolean)).toBe(true);
  }
});

describe('messages', () => {
  test('a required option left out, a string for a number, NaN, a Duration that is not one', () => {
    expect(() => lib.CanaryMetric.requestDuration({} as any)).toThrow(
      "CanaryMetric.requestDuration(): 'max' (undefined) is required: a Duration of a whole number of milliseconds, e.g. Duration.seconds(30)");
    expect(() => lib.CanaryMetric.requestSuccessRate({ min: '99' as any })).toThrow("CanaryMetric.requestSuccessRate(): 'min' ('99') must be a number");
    expect(() => lib.RolloutStep.weight(NaN)).toThrow("RolloutStep.weight(): 'weight' (NaN) must be a finite number");
    expect(() => lib.RolloutStep.pause(Duration.seconds(NaN))).toThrow(
      "RolloutStep.pause(): 'duration' (Duration of NaN seconds) must be a Duration of a whole number of milliseconds, e.g. Duration.seconds(30)");
  });

  test('every mistake of one call at once, nested properties by their path', () => {
    let error: DeclarationError | undefined;
    try {
      lib.DeliveryStrategy.abTest({ segments: [lib.TrafficSegment.dogFood(), 'x-canary'], iterations: '3', canaryScale: null } as any);
    } catch (e) {
      error = e as DeclarationError;
    }
    expect(error?.messages).toEqual([
      "DeliveryStrategy.abTest(): 'segments[1]' ('x-canary') must be a TrafficSegment, e.g. TrafficSegment.header()",
      "DeliveryStrategy.abTest(): 'canaryScale' (null) must be a number, or left out",
      "DeliveryStrategy.abTest(): 'iterations' ('3') must be a number",
    ]);
  });

  test('an enum value, an interface, a construct', () => {
    expect(() => lib.CanaryWebhook.loadTest({ tool: 'hey' as any })).toThrow("CanaryWebhook.loadTest(): 'tool' ('hey') must be one of LoadTool.HEY, LoadTool.GHZ");
    expect(() => lib.Prometheus.of({} as any, 'shop')).toThrow("Prometheus.of(): 'scope' ({}) must be a construct, e.g. a Chart");
    expect(() => lib.TrafficSegment.header('x-canary', undefined as any)).toThrow("TrafficSegment.header(): 'value' (undefined) is required: a string");
  });

  test('a CanaryService reports its props\' types with its path at synth, all together', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new lib.CanaryService(chart, 'cart', {
      image: IMAGE, engine: 'flagger', analysis: { threshold: '5', metrics: lib.CanaryMetric.requestSuccessRate() }, autoscaling: { maxReplicas: undefined },
    } as any);
    expect(() => app.synth()).toThrow([
      'Validation failed with the following errors:',
      "  [shop/cart] CanaryService 'cart': 'engine' ('flagger') must be an IDeliveryEngine, e.g. DeliveryEngine.flagger()",
      "  [shop/cart] CanaryService 'cart': 'router' (undefined) is required: an ITrafficRouter, e.g. TrafficRouter.traefik()",
      "  [shop/cart] CanaryService 'cart': 'analysis.metrics' (a CanaryMetric) must be a list (each a CanaryMetric, e.g. CanaryMetric.requestSuccessRate())",
      "  [shop/cart] CanaryService 'cart': 'analysis.threshold' ('5') must be a number",
      "  [shop/cart] CanaryService 'cart': 'autoscaling.maxReplicas' (undefined) is required: a number",
    ].join('\n'));
  });

  test('a construct without a scope or id fails before anything is built', () => {
    expect(() => new lib.CanaryService(undefined as any, 42 as any, {} as any)).toThrow(
      "CanaryService: 'scope' (undefined) is required: a construct, e.g. a Chart\nCanaryService: 'id' (42) must be a string");
  });
});
