import { Duration } from 'cdk8s';
import {
  argoLoadDuration, checkLoadCommand, flaggerLoadDuration, loadCommandDuration, renderLoadCommand,
} from '../../src/analysis/load-command';
import { LoadGeneration, LoadTarget, LoadTool } from '../../src/analysis/load-test';

const HEY: LoadGeneration = { requestsPerSecond: 10, concurrency: 2, path: '/', tool: LoadTool.HEY };
const TRAEFIK: LoadTarget = {
  url: 'http://traefik.traefik:80',
  host: 'app.example.com',
  measuredAtIngress: true,
  bypassedServices: ['podinfo', 'podinfo-canary', 'podinfo-primary', 'podinfo-stable'],
  reason: 'Traefik measures only what it routes.',
  egress: [],
};
const ISTIO: LoadTarget = {
  url: 'http://podinfo-canary.test:80',
  measuredAtIngress: false,
  bypassedServices: ['podinfo', 'podinfo-primary', 'podinfo-stable'],
  reason: 'Only the canary Service reaches the canary pods.',
  egress: [],
};
const EXAMPLE = 'hey -z 54s -q 5 -c 2 -host app.example.com http://traefik.traefik:80/';

describe('renderLoadCommand', () => {
  test('hey through an ingress: -q is per worker (hey\'s -q is a rate per worker), -host the routed host', () => {
    expect(renderLoadCommand('o', HEY, TRAEFIK, Duration.seconds(54))).toBe('hey -z 54s -q 5 -c 2 -host app.example.com http://traefik.traefik:80/');
  });

  test('hey to a mesh canary Service: no Host header', () => {
    expect(renderLoadCommand('o', { ...HEY, path: '/status/200' }, ISTIO, Duration.minutes(1))).toBe('hey -z 1m -q 5 -c 2 http://podinfo-canary.test:80/status/200');
  });

  test('an uneven rate per worker is kept to three decimals', () => {
    expect(renderLoadCommand('o', { ...HEY, requestsPerSecond: 10, concurrency: 3 }, ISTIO, Duration.seconds(30))).toContain('-q 3.333 -c 3');
  });

  test('the router\'s path prefix comes before the path, without doubled slashes', () => {
    expect(renderLoadCommand('o', { ...HEY, path: '/healthz' }, { ...TRAEFIK, pathPrefix: '/api/' }, Duration.seconds(30))).toBe(
      'hey -z 30s -q 5 -c 2 -host app.example.com http://traefik.traefik:80/api/healthz');
  });

  test('ghz: a total rate (--rps), plaintext, the routed host as :authority, host:port without a scheme', () => {
    const ghz = { ...HEY, tool: LoadTool.GHZ, grpcCall: 'grpc.health.v1.Health/Check' };
    expect(renderLoadCommand('o', ghz, TRAEFIK, Duration.seconds(54))).toBe(
      'ghz --insecure --call grpc.health.v1.Health/Check -z 54s --rps 10 -c 2 --authority app.example.com traefik.traefik:80');
    expect(renderLoadCommand('o', ghz, { ...TRAEFIK, url: 'https://traefik.traefik:443' }, Duration.seconds(54))).toContain('ghz --skipTLS ');
  });

  test('a router that cannot tell the URL says why', () => {
    expect(() => renderLoadCommand('TrafficRouter.traefik()', HEY, { ...TRAEFIK, url: undefined, urlUnknown: 'add web to entryPoints' }, Duration.seconds(30)))
      .toThrow('TrafficRouter.traefik(): add web to entryPoints');
  });
});

describe('default durations', () => {
  test.each([[10, 8], [30, 27], [60, 54], [300, 270]])('Flagger, interval %ds: a run ends before the next interval calls again (%ds)', (interval, run) => {
    expect(flaggerLoadDuration(Duration.seconds(interval)).toSeconds()).toBe(run);
  });

  test.each([[10, 60], [60, 60], [300, 300]])('Argo Rollouts, interval %ds: Jobs of %ds', (interval, run) => {
    expect(argoLoadDuration(Duration.seconds(interval)).toSeconds()).toBe(run);
  });
});

describe('loadCommandDuration', () => {
  test.each([
    ['hey -z 1m -q 10 http://x/', 60],
    ['hey -q 10 -z 1m30s http://x/', 90],
    ["hey -z '45s' http://x/", 45],
    ['ghz --duration=2m --call a.B/C x:1', 120],
    ['ghz --insecure -z 10s x:1', 10],
  ])('%s runs %ds', (command, seconds) => {
    expect(loadCommandDuration(command)?.toSeconds()).toBe(seconds);
  });

  test.each(['hey -n 100 http://x/', 'hey -z soon http://x/', 'curl http://x/'])('%s: cannot be told', (command) => {
    expect(loadCommandDuration(command)).toBeUndefined();
  });
});

describe('checkLoadCommand', () => {
  const check = (command: string, target = TRAEFIK) => () => checkLoadCommand("CanaryService 'podinfo'", 'analysis.webhooks[1]', command, target, 'test', EXAMPLE);

  test.each([
    'hey -z 1m -q 10 -c 2 http://podinfo-canary.test/',
    'hey -z 1m http://podinfo-canary/',
    'hey -z 1m http://podinfo-canary.test.svc.cluster.local:80/',
    'hey -z 1m http://podinfo.test:80/',
    'hey -z 1m HTTP://PODINFO-PRIMARY.TEST/',
    'ghz --insecure --call a.B/C podinfo-stable.test:80',
  ])('rejects a load that bypasses an ingress router: %s', (command) => {
    expect(check(command)).toThrow(/CanaryService 'podinfo': 'analysis.webhooks\[1\]' sends its load to '[a-z.-]+', the Service '[a-z-]+' itself, so it never passes through the router that measures it: Traefik measures only what it routes\. The canary's series would stay empty and every check would find no values\. Use CanaryWebhook\.loadTest\(\{ requestsPerSecond: 10 \}\) to build the command for the router, or write it as: hey -z 54s -q 5 -c 2 -host app\.example\.com http:\/\/traefik\.traefik:80\/$/);
  });

  test('the exact message', () => {
    expect(check('hey -z 1m -q 10 -c 2 http://podinfo-canary.test/')).toThrow(
      "CanaryService 'podinfo': 'analysis.webhooks[1]' sends its load to 'podinfo-canary.test', the Service 'podinfo-canary' itself, so it never passes through the router that measures it: Traefik measures only what it routes. The canary's series would stay empty and every check would find no values. Use CanaryWebhook.loadTest({ requestsPerSecond: 10 }) to build the command for the router, or write it as: hey -z 54s -q 5 -c 2 -host app.example.com http://traefik.traefik:80/",
    );
  });

  test.each([
    'hey -z 1m -host app.example.com http://traefik.traefik/',
    'hey -z 1m http://podinfo-canary.other/',
    'hey -z 1m http://podinfo-canary-v2.test/',
    'hey -z 1m https://app.example.com/',
  ])('accepts %s with Traefik', (command) => {
    expect(check(command)).not.toThrow();
  });

  test('with Istio, the canary Service is right and the apex Service bypasses the canary', () => {
    expect(check('hey -z 1m http://podinfo-canary.test:80/', ISTIO)).not.toThrow();
    expect(check('hey -z 1m http://podinfo.test/', ISTIO)).toThrow("the Service 'podinfo' itself");
  });
});
