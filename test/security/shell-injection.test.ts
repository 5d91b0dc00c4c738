import { App, Chart, Duration, Testing } from 'cdk8s';
import { hostileValues, removeSandbox, runUnderShell, Sandbox, sandbox } from './shell-run';
import {
  CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GatewayMetrics, GitOps, IDeliveryEngine, ITrafficRouter,
  LoadTestOptions, LoadTool, TrafficRouter, TrafficSegment,
} from '../../src';
import { renderLoadCommand } from '../../src/analysis/load-command';
import { LoadGeneration, LoadTarget } from '../../src/analysis/load-test';
import { shellCommand, shellWord } from '../../src/analysis/shell';

/**
 * No value becomes shell: every value that reaches the loadtester's `cmd` (run with `sh -c`) or an
 * Argo Rollouts analysis Job's `/bin/sh -c` is one word, whatever it holds. Each test feeds hostile
 * values (`;`, `$()`, backquotes, newlines, `|`, `&`, quotes) to a typed input, runs the emitted
 * command under `sh -n` and under `sh -c` with hey, ghz and curl replaced by a stub that prints its
 * arguments, and checks that the value arrived as one argument and that no injected command ran.
 * Inputs that have no reason to hold such characters are rejected at synth instead, with a message.
 */

const box: Sandbox = sandbox();
afterAll(() => removeSandbox(box));
const HOSTILE = hostileValues();

function expectOneWord(command: string, program: string, expectedArgument: string): void {
  const run = runUnderShell(box, command);
  expect({ command, parses: run.parses, injected: run.injected, status: run.status }).toEqual({ command, parses: true, injected: false, status: 0 });
  expect(run.calls).toHaveLength(1);
  expect(run.calls[0][0]).toBe(program);
  expect(run.calls[0]).toContain(expectedArgument);
}

describe('shellWord: the one function that quotes', () => {
  test.each(['hey', '-z', '54s', 'http://traefik.traefik:80/api', 'app.example.com', 'grpc.health.v1.Health/Check'])('%j needs no quotes and gets none', (word) => {
    expect(shellWord(word)).toBe(word);
  });

  test.each(HOSTILE.concat(['', ' ', 'a b', '*', '~root', '#x', '!x', '{a,b}', '[a]', '?']))('%j is one word that sh reads back unchanged', (value) => {
    expectOneWord(shellCommand(['curl', value]), 'curl', value);
  });
});

const HEY: LoadGeneration = { requestsPerSecond: 10, concurrency: 2, path: '/', tool: LoadTool.HEY };
const GHZ: LoadGeneration = { ...HEY, tool: LoadTool.GHZ, grpcCall: 'grpc.health.v1.Health/Check' };
const TARGET: LoadTarget = {
  url: 'http://traefik.traefik:80', host: 'app.example.com', measuredAtIngress: true, reason: 'Traefik measures what it routes.', egress: [],
};

/**
 * The command builder on its own, fed what the checks upstream reject too: if a check were ever
 * loosened, the value would still be one word.
 */
describe('renderLoadCommand quotes every value it is given', () => {
  const render = (load: LoadGeneration, target: LoadTarget) => renderLoadCommand('o', load, target, Duration.seconds(30));

  test.each(HOSTILE)('path %j', (value) => {
    expectOneWord(render({ ...HEY, path: `/a${value}` }, TARGET), 'hey', `http://traefik.traefik:80/a${value}`);
  });

  test.each(HOSTILE)('path prefix %j', (value) => {
    expectOneWord(render(HEY, { ...TARGET, pathPrefix: `/p${value}` }), 'hey', `http://traefik.traefik:80/p${value}/`);
  });

  test.each(HOSTILE)('host %j', (value) => {
    expectOneWord(render(HEY, { ...TARGET, host: `h${value}` }), 'hey', `h${value}`);
    expectOneWord(render(GHZ, { ...TARGET, host: `h${value}` }), 'ghz', `h${value}`);
  });

  test.each(HOSTILE)('header name and value %j', (value) => {
    expectOneWord(render(HEY, { ...TARGET, headers: { [`x${value}`]: `v${value}` } }), 'hey', `x${value}: v${value}`);
  });

  test.each(HOSTILE)('query %j', (value) => {
    expectOneWord(render(HEY, { ...TARGET, query: `q=${value}` }), 'hey', `http://traefik.traefik:80/?q=${value}`);
  });

  test.each(HOSTILE)('gRPC call %j', (value) => {
    expectOneWord(render({ ...GHZ, grpcCall: `a.B/C${value}` }, TARGET), 'ghz', `a.B/C${value}`);
  });

  test.each(HOSTILE)('URL %j', (value) => {
    expectOneWord(render(HEY, { ...TARGET, url: `http://x${value}` }), 'hey', `http://x${value}/`);
    expectOneWord(render(GHZ, { ...TARGET, url: `http://x${value}` }), 'ghz', `x${value}`);
  });
});

const ENGINES: [string, () => IDeliveryEngine][] = [
  ['Flagger', () => DeliveryEngine.flagger()],
  ['Argo Rollouts', () => DeliveryEngine.argoRollouts()],
];

function declare(engine: IDeliveryEngine, router: ITrafficRouter, strategy?: DeliveryStrategy, load: LoadTestOptions = {}): Chart {
  const chart = new Chart(new App(), 'app', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    router,
    strategy,
    analysis: { metrics: [CanaryMetric.requestSuccessRate({ min: 99 })], webhooks: [CanaryWebhook.loadTest(load)] },
    gitOps: GitOps.none(),
  });
  return chart;
}

/** The load command as the controller runs it: the Canary's webhook `cmd`, or the Argo Job's `/bin/sh -c` argument. */
function emittedLoadCommand(chart: Chart): string {
  const manifests = Testing.synth(chart);
  const canary = manifests.find((m) => m.kind === 'Canary');
  if (canary) {
    return canary.spec.analysis.webhooks.find((w: any) => w.name === 'load-test').metadata.cmd;
  }
  const jobs = manifests.filter((m) => m.kind === 'AnalysisTemplate')
    .flatMap((t) => t.spec.metrics).filter((m: any) => m.provider?.job && m.name === 'load-test');
  expect(jobs.length).toBeGreaterThan(0);
  const commands = new Set(jobs.map((m: any) => m.provider.job.spec.template.spec.containers[0].command));
  for (const command of commands) expect(command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
  const scripts = [...commands].map((command) => command[2]);
  return scripts[0];
}

const gatewayApi = () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'], metrics: GatewayMetrics.istio() });

describe.each(ENGINES)('%s: hostile values through the public API', (_name, engine) => {
  // Header values may hold anything but a line break (HTTP field values): they are sent, quoted.
  test.each(HOSTILE.filter((v) => !v.includes('\n')))('an A/B segment header value %j reaches hey as one argument', (value) => {
    const chart = declare(engine(), gatewayApi(), DeliveryStrategy.abTest({ segments: [TrafficSegment.header('x-user', `beta${value}`)] }));
    expectOneWord(emittedLoadCommand(chart), 'hey', `x-user: beta${value}`);
  });

  test('a header value that spans lines is rejected', () => {
    const chart = declare(engine(), gatewayApi(), DeliveryStrategy.abTest({ segments: [TrafficSegment.header('x-user', 'beta\ntouch PWNED')] }));
    expect(() => Testing.synth(chart)).toThrow("'strategy.segments[0]' value for 'x-user' must not be empty or span lines");
  });

  // Cookie values may hold $, (, ), |, &, quotes and backquotes (RFC 6265 cookie-octets), not spaces: ${IFS} separates the words.
  const cookieValues = HOSTILE.map((v) => v.replace(/ /g, '${IFS}')).filter((v) => /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/.test(v));
  test('the cookie values that would inject are valid cookie values', () => {
    expect(cookieValues).toEqual(['$(touch${IFS}PWNED)', '`touch${IFS}PWNED`', '|touch${IFS}PWNED', '&touch${IFS}PWNED', '&&touch${IFS}PWNED']);
  });

  test.each(cookieValues)('a cookie segment value %j reaches hey as one argument', (value) => {
    const chart = declare(engine(), gatewayApi(), DeliveryStrategy.abTest({ segments: [TrafficSegment.cookie('beta', `on${value}`)] }));
    expectOneWord(emittedLoadCommand(chart), 'hey', `cookie: beta=on${value}`);
  });

  test.each(HOSTILE)('a cookie value %j with a space, semicolon, double quote or line break is rejected', (value) => {
    const chart = declare(engine(), gatewayApi(), DeliveryStrategy.abTest({ segments: [TrafficSegment.cookie('beta', `on${value}`)] }));
    expect(() => Testing.synth(chart)).toThrow(/'strategy\.segments\[0\]' (cookie value \('.*'\) must be a cookie value|value for 'cookie' must not be empty or span lines)/s);
  });

  test.each(HOSTILE)('a load-test path %j is rejected', (value) => {
    const chart = declare(engine(), gatewayApi(), undefined, { path: `/a${value}` });
    expect(() => Testing.synth(chart)).toThrow(`'analysis.webhooks[0].path' ('/a${value}') must start with '/' and hold only letters, digits and -._~%/:@+,=`);
  });

  test.each(HOSTILE)('a gRPC call %j is rejected', (value) => {
    const chart = declare(engine(), TrafficRouter.istio(), undefined, { tool: LoadTool.GHZ, grpcCall: `a.B/C${value}` });
    expect(() => Testing.synth(chart)).toThrow(`'analysis.webhooks[0].grpcCall' ('a.B/C${value}') must be '<package>.<Service>/<Method>'`);
  });
});

describe('Flagger: query values through the public API', () => {
  test.each(HOSTILE.filter((v) => !v.includes('\n')))('an A/B query parameter value %j reaches hey inside one URL argument', (value) => {
    const chart = declare(DeliveryEngine.flagger(), gatewayApi(), DeliveryStrategy.abTest({ segments: [TrafficSegment.queryParam('variant', `b${value}`)] }));
    const run = runUnderShell(box, emittedLoadCommand(chart));
    expect({ parses: run.parses, injected: run.injected }).toEqual({ parses: true, injected: false });
    expect(run.calls).toHaveLength(1);
    expect(run.calls[0][run.calls[0].length - 1]).toBe(`http://gateway-istio.test:80/?variant=${encodeURIComponent(`b${value}`)}`);
  });

  test('a query parameter value that spans lines is rejected', () => {
    const chart = declare(DeliveryEngine.flagger(), gatewayApi(), DeliveryStrategy.abTest({ segments: [TrafficSegment.queryParam('variant', 'b\ntouch PWNED')] }));
    expect(() => Testing.synth(chart)).toThrow("'strategy.segments[0]' value for 'variant' must not be empty or span lines");
  });
});

describe('values with no reason to hold shell characters are rejected where they are declared', () => {
  test.each(HOSTILE)('Traefik pathPrefix %j', (value) => {
    expect(() => TrafficRouter.traefik({ hosts: ['app.example.com'], pathPrefix: `/api${value}` })).toThrow(
      `'pathPrefix' ('/api${value}') must start with '/' and hold only letters, digits and -._~%/:@+,=, e.g. '/api'; percent-encode anything else`);
  });

  test.each(HOSTILE)('Gateway API pathPrefix %j', (value) => {
    expect(() => TrafficRouter.gatewayApi({ hosts: ['app.example.com'], pathPrefix: `/api${value}` })).toThrow(
      `'pathPrefix' ('/api${value}') must be an absolute path of letters, digits and -._~%/:@+,=, e.g. '/api'; percent-encode anything else`);
  });

  test.each(HOSTILE)('Traefik and Gateway API hosts %j', (value) => {
    expect(() => TrafficRouter.traefik({ hosts: [`app${value}.example.com`] })).toThrow("'hosts[0]'");
    expect(() => TrafficRouter.gatewayApi({ hosts: [`app${value}.example.com`] })).toThrow("'hosts[0]'");
  });
});
