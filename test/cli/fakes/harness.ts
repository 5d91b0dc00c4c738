import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FakeApiServer, PolicyRule, TLS_DIR } from './fake-api-server';
import { FakeFlagger } from './fake-flagger';
import { FakeKubectl, deploymentPath } from './fake-kubectl';
import { FakeLoadTester } from './fake-loadtester';
import { mainAsync } from '../../../src/cli/main';
import { InterruptedError } from '../../../src/cli/release/context';
import { ReleaseDeps } from '../../../src/cli/release/release-command';

export const GATE_WEBHOOKS = [
  { name: 'confirm-traffic-increase-gate', type: 'confirm-traffic-increase', url: 'http://flagger-loadtester.test/gate/check' },
  { name: 'confirm-promotion-gate', type: 'confirm-promotion', url: 'http://flagger-loadtester.test/gate/check' },
  { name: 'rollback-gate', type: 'rollback', url: 'http://flagger-loadtester.test/rollback/check' },
];

/** A kubeconfig file with one context `test` (namespace test) on `server`, for a user given as YAML. */
export function writeKubeconfig(dir: string, server: string, user: string, extra: { cluster?: string } = {}): string {
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: test',
    'contexts:', '- name: test', '  context: {cluster: fake, user: me, namespace: test}',
    'clusters:', '- name: fake', '  cluster:', `    server: '${server}'`, `    certificate-authority: ${path.join(TLS_DIR, 'ca.crt')}`, ...(extra.cluster ? [extra.cluster] : []),
    'users:', '- name: me', '  user:', ...user.split('\n').map((line) => `    ${line}`),
  ].join('\n'));
  return file;
}

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** The loadtester Deployment of namespace test, as the API server has it. */
export const LOADTESTER_DEPLOYMENT = deploymentPath('test', 'flagger-loadtester');

/**
 * A cluster for the release commands: the fake API server (https, token `alice-token` for user
 * alice), the loadtester of namespace `test` behind Service flagger-loadtester and Deployment
 * flagger-loadtester (one ready pod), a Flagger that advances one analysis interval per wait of the
 * CLI, and kubectl. `cli()` runs the CLI with KUBECONFIG pointing at it; each run has the id
 * `run-<n>` (n counts the runs from 1).
 */
export class Harness {
  public readonly api = new FakeApiServer();
  public readonly tester = new FakeLoadTester();
  public readonly kubectl: FakeKubectl;
  public readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-canary-cli-'));
  public flagger!: FakeFlagger;
  public kubeconfig = '';
  public server = '';
  /** Aborts waits, as Ctrl-C does. */
  public interrupt = new AbortController();
  /** Called at every wait of the CLI, before Flagger's tick (count from 1). */
  public onWait?: (count: number) => void;
  public waits = 0;
  /** The sleeps the CLI asked for, in milliseconds. */
  public sleeps: number[] = [];
  public runs = 0;
  public env: { [name: string]: string | undefined } = {};
  public deps: Partial<ReleaseDeps> = {};

  constructor(public readonly user = 'alice') {
    this.kubectl = new FakeKubectl(this.api, user);
  }

  public async start(webhooks: any[] = GATE_WEBHOOKS, interval = '1m'): Promise<this> {
    this.server = await this.api.start();
    await this.tester.start();
    this.api.tokens.set('alice-token', this.user);
    this.api.services.set('test/flagger-loadtester', { backend: this.tester, endpoints: true, reachable: true });
    this.kubectl.deployments.set('test/flagger-loadtester', { tester: this.tester });
    this.scaleLoadTester(1);
    this.flagger = new FakeFlagger(this.api, this.tester, 'test', 'podinfo', webhooks, 10, 30, interval);
    this.api.put('/api/v1/namespaces/test/configmaps/cdk8s-canary-gates', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cdk8s-canary-gates', namespace: 'test' } });
    this.kubeconfig = writeKubeconfig(this.dir, this.server, 'token: alice-token');
    this.env = { KUBECONFIG: this.kubeconfig };
    return this;
  }

  public async stop(): Promise<void> {
    await this.api.stop();
    await this.tester.stop();
  }

  /** The loadtester Deployment with this many ready pods. */
  public scaleLoadTester(ready: number): void {
    this.api.put(LOADTESTER_DEPLOYMENT, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'flagger-loadtester', namespace: 'test' },
      spec: { replicas: 1 },
      status: { replicas: 1, readyReplicas: ready },
    });
  }

  /** Rules the API server and kubectl enforce for the user. */
  public restrict(rules: PolicyRule[]): void {
    this.api.rbac.set(this.user, rules);
  }

  /** Runs `cdk8s-canary <argv>`. */
  public async cli(...argv: string[]): Promise<CliRun> {
    let out = '';
    let err = '';
    const code = await mainAsync(argv, (t) => { out += t; }, (t) => { err += t; }, {
      environment: { env: this.env, homedir: this.dir, serviceAccountDir: path.join(this.dir, 'no-service-account') },
      kubectl: this.kubectl.run,
      pollMillis: 5000,
      sleep: async (millis, signal) => {
        this.waits++;
        this.sleeps.push(millis);
        this.onWait?.(this.waits);
        if (signal.aborted) throw new InterruptedError();
        this.flagger.tick();
      },
      signal: this.interrupt.signal,
      now: () => new Date('2025-06-01T10:00:00Z'),
      runId: `run-${++this.runs}`,
      ...this.deps,
    });
    return { code, out, err };
  }

  /** The gate calls the CLI made through kubectl: `<route> <payload>`. */
  public execCalls(): string[] {
    return this.kubectl.calls.map((args) => `${args[args.length - 1].replace('http://localhost:8080', '')} ${args[args.indexOf('-d') + 1]}`);
  }

  /** The record ConfigMap's data. */
  public records(): { [key: string]: any } {
    const data = this.api.objects.get('/api/v1/namespaces/test/configmaps/cdk8s-canary-gates')?.data ?? {};
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, JSON.parse(v as string)]));
  }
}

/** The exact argv the CLI gives kubectl to call a gate route of the loadtester of namespace test. */
export function execArgs(route: string, flags: string[] = ['--context', 'test']): string[] {
  return [...flags, '-n', 'test', 'exec', 'deploy/flagger-loadtester', '--', 'curl', '-sS', '-m', '10', '-w', '\\n%{http_code}',
    '-H', 'Content-Type: application/json', '-d', '{"name":"podinfo","namespace":"test"}', `http://localhost:8080${route}`];
}
