import { SafetyNetOptions } from './safety-net';
import { derivedNames } from '../references/check-references';
import { SafetyNetConfig } from '../routers/router';
import { checkDnsLabel, checkDnsSubdomain, checkHostLabels, checkInteger, checkPort, fail } from '../validation';

/**
 * Whether the net's share goes to an object the controller creates only once it initializes the
 * service, with nothing to catch it until then: with Flagger, Istio's and Gateway API's nets send
 * it to the Service `<name>`, which Flagger creates after `<name>-primary` is ready
 * (pkg/controller/scheduler.go, kubeRouter.Reconcile after Initialize), and they answer 503 and 500
 * for a missing destination. Traefik's net has a fallback route to the live Service; Argo
 * Rollouts' Services are in the manifests. The plan finds the same from the objects (safety-net-notes.ts).
 */
export function netWaitsForController(engine: string, router: string): boolean {
  return engine === 'flagger' && (router === 'istio' || router === 'gateway-api');
}

/** Applies defaults and checks the values of a safety net. */
export function resolveSafetyNet(
  owner: string, name: string, options: SafetyNetOptions, port: number, routerSplits: boolean, waitsForController = false,
): SafetyNetConfig {
  if (!routerSplits) {
    fail(owner, "'safetyNet' splits the hosts' traffic by weight in the router, which this router cannot do: use TrafficRouter.traefik(), gatewayApi() or istio() with hosts");
  }
  const liveService = checkDnsLabel(owner, 'safetyNet.liveService', options.liveService);
  if (derivedNames(name).split(', ').includes(`'${liveService}'`)) {
    fail(owner, `'safetyNet.liveService' ('${liveService}') must not be one of the names this service's controller and routing take (${derivedNames(name)}): `
      + 'the live Service would not stay untouched (Flagger takes a Service of such a name over and rewrites its selector; Argo Rollouts rewrites the ones its Rollout names); '
      + 'give the name of the Service that serves the hosts today');
  }
  const share = checkInteger(owner, 'safetyNet.share', options.share ?? (waitsForController ? 0 : 5), 0, 99);
  return {
    liveService,
    livePort: checkPort(owner, 'safetyNet.livePort', options.livePort ?? port),
    share,
    managedHost: options.managedHost === undefined ? undefined
      : checkHostLabels(owner, 'safetyNet.managedHost', checkDnsSubdomain(owner, 'safetyNet.managedHost', options.managedHost)),
  };
}
