import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { KubeApi } from '../../src/cli/kube-client';
import { mainAsync } from '../../src/cli/main';
import { promotePatches } from '../../src/cli/release-commands';

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly contentType?: string;
  readonly authorization?: string;
}

/**
 * An in-process stand-in for the Kubernetes API: GETs answer from `objects` (a sequence per path:
 * each GET takes the next until the last), PATCHes and POSTs answer `responses` (default 200 with
 * the body echoed); every request is recorded.
 */
class FakeApiServer {
  public readonly requests: Recorded[] = [];
  public readonly objects = new Map<string, any[]>();
  public readonly responses = new Map<string, number>();
  private server?: http.Server;

  public async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf-8');
        this.requests.push({ method: req.method!, path: req.url!, body, contentType: req.headers['content-type'], authorization: req.headers.authorization });
        if (req.method === 'GET') {
          const sequence = this.objects.get(req.url!);
          if (!sequence) {
            res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'Status', message: 'not found' }));
            return;
          }
          const object = sequence.length > 1 ? sequence.shift() : sequence[0];
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(object));
          return;
        }
        res.writeHead(this.responses.get(`${req.method} ${req.url}`) ?? 200, { 'Content-Type': 'application/json' }).end(body || '{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The requests other than the GETs that find the object. */
  public writes(): Recorded[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }
}

const CANARY_PATH = '/apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo';
const ROLLOUT_PATH = '/apis/argoproj.io/v1alpha1/namespaces/test/rollouts/podinfo';
const GATED_WEBHOOKS = [
  { name: 'gate', type: 'confirm-traffic-increase', url: 'http://flagger-loadtester.test/gate/check' },
  { name: 'rollback', type: 'rollback', url: 'http://flagger-loadtester.test/rollback/check' },
];
const canary = (weight: number, phase = 'Progressing', webhooks: any[] = GATED_WEBHOOKS) => ({
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: { analysis: { webhooks } },
  status: { phase, canaryWeight: weight, failedChecks: 0 },
});

let server: FakeApiServer;
let address: string;
let kubeconfig: string;
let kubectlCalls: string[][];
let kubectlAnswers: { status: number; stdout: string; stderr: string }[];

beforeEach(async () => {
  server = new FakeApiServer();
  address = await server.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-canary-kube-'));
  kubeconfig = path.join(dir, 'config');
  fs.writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: test',
    'contexts:', '- name: test', '  context: {cluster: fake, user: me, namespace: test}',
    'clusters:', '- name: fake', `  cluster: {server: '${address}'}`,
    'users:', '- name: me', '  user: {token: secret-token}',
  ].join('\n'));
  kubectlCalls = [];
  kubectlAnswers = [];
});

afterEach(async () => {
  await server.stop();
});

/** Runs the CLI against the fake API (through a real kubeconfig) and a recording kubectl. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await mainAsync([...argv, '--kubeconfig', kubeconfig], (t) => { out += t; }, (t) => { err += t; }, {
    kubectl: (args) => {
      kubectlCalls.push(args);
      return kubectlAnswers.shift() ?? { status: 0, stdout: '200', stderr: '' };
    },
    sleep: async () => undefined,
    pollMillis: 1000,
  });
  return { code, out, err };
}

const EXEC = (route: string) => [
  '--kubeconfig', expect.any(String), '-n', 'test', 'exec', 'deploy/flagger-loadtester', '--',
  'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-d', '{"name":"podinfo","namespace":"test"}', `http://localhost:8080${route}`,
];

describe('the kubeconfig client', () => {
  test('sends the user\'s token to the context\'s server', async () => {
    const api = KubeApi.fromKubeconfig({ file: kubeconfig });
    expect(api.namespace).toBe('test');
    expect((await api.request('GET', '/version')).status).toBe(404);
    expect(server.requests).toEqual([{ method: 'GET', path: '/version', body: '', contentType: undefined, authorization: 'Bearer secret-token' }]);
  });

  test('a missing context or kubeconfig says what to pass', () => {
    expect(() => KubeApi.fromKubeconfig({ file: kubeconfig, context: 'prod' })).toThrow(`'${kubeconfig}' has no context named 'prod'`);
    expect(() => KubeApi.fromKubeconfig({ file: '/nowhere/config' })).toThrow("no kubeconfig at '/nowhere/config': set --kubeconfig or KUBECONFIG");
  });
});

describe('Flagger', () => {
  test('gate open: the loadtester\'s /gate/open with the Canary\'s name and namespace, through kubectl exec', async () => {
    server.objects.set(CANARY_PATH, [canary(10)]);
    const { code, out } = await cli('gate', 'open', 'podinfo', '-n', 'test');
    expect(code).toBe(0);
    expect(kubectlCalls).toEqual([EXEC('/gate/open')]);
    expect(out).toBe('gate of test/podinfo opened (phase Progressing, canary weight 10%, failed checks 0)\n');
    expect(server.writes()).toEqual([]);
  });

  test('gate open --once: closes the gate as soon as the Canary takes one step', async () => {
    server.objects.set(CANARY_PATH, [canary(10), canary(10), canary(10), canary(20)]);
    const { code, out } = await cli('gate', 'open', 'podinfo', '--once');
    expect(code).toBe(0);
    expect(kubectlCalls).toEqual([EXEC('/gate/open'), EXEC('/gate/close')]);
    expect(out).toContain('one step taken (phase Progressing, canary weight 20%, failed checks 0); gate closed\n');
    // Found once, then looked at until the weight moved.
    expect(server.requests.filter((r) => r.path === CANARY_PATH)).toHaveLength(4);
  });

  test('gate open --once that times out closes the gate again and fails', async () => {
    server.objects.set(CANARY_PATH, [canary(10)]);
    const { code, out } = await cli('gate', 'open', 'podinfo', '--once', '--timeout', '3');
    expect(code).toBe(1);
    expect(kubectlCalls).toEqual([EXEC('/gate/open'), EXEC('/gate/close')]);
    expect(out).toContain('the Canary did not move within 3s; gate closed again\n');
  });

  test('gate close and gate status (403 from /gate/check is closed)', async () => {
    server.objects.set(CANARY_PATH, [canary(10)]);
    expect((await cli('gate', 'close', 'podinfo')).out).toBe('gate of test/podinfo closed\n');
    kubectlAnswers.push({ status: 0, stdout: '403', stderr: '' });
    expect((await cli('gate', 'status', 'podinfo')).out).toBe('gate of test/podinfo: closed\n');
    expect(kubectlCalls).toEqual([EXEC('/gate/close'), EXEC('/gate/check')]);
  });

  test('--via proxy: the same POST through the API server\'s Service proxy', async () => {
    server.objects.set(CANARY_PATH, [canary(10)]);
    await cli('gate', 'open', 'podinfo', '--via', 'proxy');
    expect(server.writes()).toEqual([{
      method: 'POST',
      path: '/api/v1/namespaces/test/services/http:flagger-loadtester:80/proxy/gate/open',
      body: '{"name":"podinfo","namespace":"test"}',
      contentType: 'application/json',
      authorization: 'Bearer secret-token',
    }]);
    expect(kubectlCalls).toEqual([]);
  });

  test('--dry-run prints the kubectl command and runs nothing', async () => {
    server.objects.set(CANARY_PATH, [canary(10)]);
    const { out } = await cli('gate', 'open', 'podinfo', '--dry-run');
    expect(out).toBe(`kubectl --kubeconfig ${kubeconfig} -n test exec deploy/flagger-loadtester -- curl -s -o /dev/null -w %{http_code} -d '{"name":"podinfo","namespace":"test"}' http://localhost:8080/gate/open\n`);
    expect(kubectlCalls).toEqual([]);
  });

  test('promote opens the gate; abort opens the rollback gate', async () => {
    server.objects.set(CANARY_PATH, [canary(30)]);
    expect((await cli('promote', 'podinfo')).code).toBe(0);
    expect((await cli('abort', 'podinfo')).out).toBe('rollback gate of test/podinfo opened: Flagger rolls back at its next check\n');
    expect(kubectlCalls).toEqual([EXEC('/gate/open'), EXEC('/rollback/open')]);
  });

  test('abort without a rollback webhook says which webhook to add', async () => {
    server.objects.set(CANARY_PATH, [canary(30, 'Progressing', [])]);
    const { code, err } = await cli('abort', 'podinfo');
    expect(code).toBe(1);
    expect(err).toBe("cdk8s-canary abort: the Canary 'podinfo' has no rollback gate, so Flagger cannot be told to roll back: add CanaryWebhook.rollbackGate() to its analysis\n");
  });

  test('status: phase, weight, failed checks and the gate', async () => {
    server.objects.set(CANARY_PATH, [canary(20)]);
    expect((await cli('status', 'podinfo')).out).toBe('Canary test/podinfo: phase Progressing, canary weight 20%, failed checks 0; gate open\n');
  });
});

describe('Argo Rollouts', () => {
  const rollout = (status: any, spec: any = {}) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { strategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }] } }, ...spec },
    status,
  });

  test('promote at a pause: clears the pause conditions on the status subresource, as kubectl argo rollouts promote', async () => {
    server.objects.set(ROLLOUT_PATH, [rollout({ currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }] })]);
    const { code, out } = await cli('promote', 'podinfo');
    expect(code).toBe(0);
    expect(out).toBe('Rollout test/podinfo promoted\n');
    // The Canary is looked for first (404), then the Rollout.
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${CANARY_PATH}`, `GET ${ROLLOUT_PATH}`, `PATCH ${ROLLOUT_PATH}/status`]);
    expect(server.writes()).toEqual([{
      method: 'PATCH',
      path: `${ROLLOUT_PATH}/status`,
      body: '{"status":{"pauseConditions":null}}',
      contentType: 'application/merge-patch+json',
      authorization: 'Bearer secret-token',
    }]);
  });

  test('promote --full: status.promoteFull', async () => {
    server.objects.set(ROLLOUT_PATH, [rollout({ currentPodHash: 'abc', stableRS: 'def' })]);
    await cli('promote', 'podinfo', '--full');
    expect(server.writes().map((w) => [w.path, w.body])).toEqual([[`${ROLLOUT_PATH}/status`, '{"status":{"promoteFull":true}}']]);
  });

  test('abort: status.abort, as kubectl argo rollouts abort', async () => {
    server.objects.set(ROLLOUT_PATH, [rollout({ currentStepIndex: 2 })]);
    await cli('abort', 'podinfo');
    expect(server.writes().map((w) => [w.method, w.path, w.body, w.contentType])).toEqual([
      ['PATCH', `${ROLLOUT_PATH}/status`, '{"status":{"abort":true}}', 'application/merge-patch+json'],
    ]);
  });

  test('--dry-run prints kubectl patch commands', async () => {
    server.objects.set(ROLLOUT_PATH, [rollout({ pauseConditions: [{ reason: 'CanaryPauseStep' }] }, { paused: true })]);
    const { out } = await cli('promote', 'podinfo', '--dry-run');
    expect(out).toBe([
      `kubectl --kubeconfig ${kubeconfig} -n test patch rollout podinfo --type=merge -p '{"spec":{"paused":false}}'`,
      `kubectl --kubeconfig ${kubeconfig} -n test patch rollout podinfo --subresource=status --type=merge -p '{"status":{"pauseConditions":null}}'`,
      '',
    ].join('\n'));
    expect(server.writes()).toEqual([]);
  });

  test('gate on a Rollout says to promote instead', async () => {
    server.objects.set(ROLLOUT_PATH, [rollout({})]);
    expect((await cli('gate', 'open', 'podinfo')).err).toBe(
      "cdk8s-canary gate: 'podinfo' is an Argo Rollouts Rollout, which has no loadtester gate: its holds are pauses; use 'cdk8s-canary promote podinfo -n test'\n",
    );
  });

  test('status', async () => {
    server.objects.set(ROLLOUT_PATH, [rollout({ phase: 'Paused', currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }], message: 'CanaryPauseStep' })]);
    expect((await cli('status', 'podinfo')).out).toBe('Rollout test/podinfo: phase Paused, step 1 of 3, paused (CanaryPauseStep): CanaryPauseStep\n');
  });
});

describe('promotePatches follows kubectl argo rollouts promote (cmd/promote/promote.go, getPatches)', () => {
  const steps = { strategy: { canary: { steps: [{ setWeight: 10 }, { analysis: {} }, { setWeight: 50 }] } } };
  test.each([
    ['paused at a pause step', { spec: steps, status: { pauseConditions: [{}] } }, false, { status: '{"status":{"pauseConditions":null}}' }],
    ['a paused spec', { spec: { ...steps, paused: true }, status: { pauseConditions: [{}] } }, false, { spec: '{"spec":{"paused":false}}', status: '{"status":{"pauseConditions":null}}' }],
    ['mid-analysis: the next step', { spec: steps, status: { currentStepIndex: 1 } }, false, { status: '{"status":{"pauseConditions":null, "currentStepIndex":2}}' }],
    ['inconclusive: unpause the controller too', {
      spec: steps, status: { currentStepIndex: 1, controllerPause: true, pauseConditions: [{}], canary: { currentStepAnalysisRunStatus: { status: 'Inconclusive' } } },
    }, false, { status: '{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":2}}' }],
    ['full, not yet promoted', { spec: steps, status: { currentPodHash: 'a', stableRS: 'b' } }, true, { status: '{"status":{"promoteFull":true}}' }],
    ['full, already stable', { spec: steps, status: { currentPodHash: 'a', stableRS: 'a' } }, true, {}],
    ['blue/green waiting', { spec: { strategy: { blueGreen: {} } }, status: { pauseConditions: [{}] } }, false, { status: '{"status":{"pauseConditions":null}}' }],
  ])('%s', (_what, rollout, full, expected) => {
    expect(promotePatches(rollout, full)).toEqual({ spec: undefined, status: undefined, ...expected });
  });
});

describe('usage', () => {
  test.each([
    [['gate', 'opne', 'podinfo'], "cdk8s-canary gate: 'gate' takes open, close or status, not 'opne'"],
    [['promote'], "cdk8s-canary promote: 'promote' takes one service name"],
    [['abort', 'podinfo', '--full'], "cdk8s-canary abort: 'abort' takes no '--full'"],
    [['gate', 'open', 'podinfo', '--via', 'ssh'], "cdk8s-canary gate: '--via' is exec or proxy, not 'ssh'"],
    [['status', 'podinfo', '--verbose'], "cdk8s-canary status: unexpected '--verbose'"],
  ])('%j', async (argv, message) => {
    const { code, err } = await cli(...argv);
    expect(code).toBe(2);
    expect(err.split('\n')[0]).toBe(message);
  });
});
