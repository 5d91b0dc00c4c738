import { Duration } from 'cdk8s';
import { LoadGeneration, LoadTarget, LoadTool } from './load-test';
import { shellCommand } from './shell';
import { CanaryWebhook } from './webhook';
import { inClusterAddresses } from '../references/in-cluster-address';
import { DeclarationErrors, fail, toGoDuration } from '../validation';

/**
 * How long one run of a typed load test lasts on Flagger when no duration is given. Flagger calls the
 * load webhook once per interval, and the loadtester drops a call whose command (for that canary) is
 * still running (flagger pkg/loadtester/runner.go, "command skipped ... is already running"). A run
 * as long as the interval would sometimes still be running when the next call comes, and the
 * interval after it would have no load; so a run ends 10 % (at least 2 s) before the next call.
 */
export function flaggerLoadDuration(interval: Duration): Duration {
  const seconds = interval.toSeconds();
  return Duration.seconds(seconds - Math.max(2, Math.ceil(seconds / 10)));
}

/**
 * How long one load Job runs on Argo Rollouts when no duration is given. The Jobs follow each other
 * (the metric's interval is 1 s, counted from the previous Job's end: argo-rollouts
 * analysis/analysis.go, `lastMeasurement.FinishedAt.Add(interval)`), so the length only sets how
 * many Jobs a rollout creates.
 */
export function argoLoadDuration(interval: Duration): Duration {
  return Duration.seconds(Math.max(60, interval.toSeconds()));
}

/**
 * A typed load test must request a path the checks count: a path the router leaves out (a probe's,
 * the scrape path) would give the checks no request to measure.
 */
export function checkMeasuredLoadPaths(owner: string, webhooks: CanaryWebhook[], target: LoadTarget): void {
  const unmeasured = target.unmeasuredPaths ?? [];
  const errors = new DeclarationErrors();
  webhooks.forEach((webhook, i) => {
    const path = webhook.load?.path.split('?')[0];
    if (path === undefined || !unmeasured.includes(path)) return;
    errors.attempt(() => fail(owner, `'analysis.webhooks[${i}].path' ('${webhook.load!.path}') is a path the checks leave out `
      + `(${unmeasured.map((p) => `'${p}'`).join(', ')}: the probes' and the scrape path, which no user requests), so the load would give them nothing to measure: `
      + "request a path users request, e.g. '/'"));
  });
  errors.throwIfAny();
}

/**
 * The command that generates `load` against `target` for `duration`; with a `baseline`, the same
 * load to it at the same time (the shell runs the first in the background and returns the first
 * failure of the two).
 */
export function renderLoadCommand(owner: string, load: LoadGeneration, target: LoadTarget, duration: Duration): string {
  const command = renderOneLoadCommand(owner, load, target, duration);
  if (target.baseline === undefined) return command;
  const baseline = renderOneLoadCommand(owner, load, { ...target, url: target.baseline.url, baseline: undefined }, duration);
  return `${command} & ${baseline} && wait $!`;
}

function renderOneLoadCommand(owner: string, load: LoadGeneration, target: LoadTarget, duration: Duration): string {
  if (target.url === undefined) {
    fail(owner, target.urlUnknown ?? 'the router cannot tell where a load test must send its requests: give the load test a \'command\'');
  }
  const path = `${target.pathPrefix ?? ''}${load.path}`.replace(/\/{2,}/g, '/') + (target.query ? `${load.path.includes('?') ? '&' : '?'}${target.query}` : '');
  const z = toGoDuration(duration);
  const headers = Object.entries(target.headers ?? {});
  if (load.tool === LoadTool.GHZ) {
    if (headers.length > 0 || target.query) {
      fail(owner, `a ghz load test cannot carry the header or query parameter the router needs (${target.reason}); give the load test a 'command'`);
    }
    const tls = target.url.startsWith('https:');
    const address = target.url.replace(/^https?:\/\//, '');
    return shellCommand([
      'ghz', tls ? '--skipTLS' : '--insecure', '--call', load.grpcCall!, '-z', z, '--rps', `${load.requestsPerSecond}`,
      '-c', `${load.concurrency}`, ...(target.host ? ['--authority', target.host] : []), address,
    ]);
  }
  const perWorker = Math.round((load.requestsPerSecond / load.concurrency) * 1000) / 1000;
  return shellCommand([
    'hey', '-z', z, '-q', `${perWorker}`, '-c', `${load.concurrency}`,
    ...(target.host ? ['-host', target.host] : []),
    ...headers.flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    `${target.url}${path}`,
  ]);
}

/** A Go duration (`54s`, `1m30s`, `2h`) in seconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const parts = text.match(/^((\d+(\.\d+)?)(h|m|s|ms))+$/) ? [...text.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)] : [];
  if (parts.length === 0) return undefined;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  return parts.reduce((total, [, value, u]) => total + Number(value) * unit[u], 0);
}

/** How long a `hey` or `ghz` command runs (`-z`, `--duration`); undefined when it cannot be told. */
export function loadCommandDuration(command: string): Duration | undefined {
  const match = command.match(/(?:^|\s)(?:-z|--duration)(?:\s+|=)(\S+)/);
  const seconds = match ? parseGoDuration(match[1].replace(/^['"]|['"]$/g, '')) : undefined;
  return seconds === undefined ? undefined : Duration.seconds(Math.floor(seconds));
}

/**
 * Rejects a load command of one's own that calls one of the Services the router does not measure
 * (e.g. `http://podinfo-canary.test/` when Traefik measures at the ingress): the canary's series
 * would stay empty and every check would find no values.
 */
export function checkLoadCommand(
  owner: string, property: string, command: string, target: LoadTarget, namespace: string, typedExample: string,
): void {
  const bypassed = target.bypassedServices ?? [];
  for (const address of inClusterAddresses(command, namespace)) {
    if (address.namespace === namespace && bypassed.includes(address.name)) {
      fail(owner, `'${property}' sends its load to '${address.host}', the Service '${address.name}' itself, so it never passes `
        + `through the router that measures it: ${target.reason} The canary's series would stay empty and every check `
        + 'would find no values. Use CanaryWebhook.loadTest({ requestsPerSecond: 10 }) to build the command for the router, '
        + `or write it as: ${typedExample}`);
    }
  }
}
