import { SafetyNetOptions } from './safety-net';
import { SafetyNetConfig } from '../routers/router';
import { checkDnsLabel, checkDnsSubdomain, checkInteger, checkPort, fail } from '../validation';

/** Applies defaults and checks the values of a safety net. */
export function resolveSafetyNet(owner: string, options: SafetyNetOptions, port: number, routerSplits: boolean): SafetyNetConfig {
  if (!routerSplits) {
    fail(owner, "'safetyNet' splits the hosts' traffic by weight in the router, which this router cannot do: use TrafficRouter.traefik(), gatewayApi() or istio() with hosts");
  }
  const liveService = checkDnsLabel(owner, 'safetyNet.liveService', options.liveService);
  const share = checkInteger(owner, 'safetyNet.share', options.share ?? 5, 1, 99);
  return {
    liveService,
    livePort: checkPort(owner, 'safetyNet.livePort', options.livePort ?? port),
    share,
    managedHost: options.managedHost === undefined ? undefined : checkDnsSubdomain(owner, 'safetyNet.managedHost', options.managedHost),
  };
}
