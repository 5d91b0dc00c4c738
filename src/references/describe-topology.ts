import { ObjectAvailability, ServiceReach, TopologyObject } from './topology';

/** `ServiceReach` in words, for plans and messages. */
export function reachInWords(reach: ServiceReach): string {
  switch (reach) {
    case ServiceReach.NEW_VERSION: return 'the new version';
    case ServiceReach.STABLE_VERSION: return 'the stable version';
    case ServiceReach.WEIGHTED: return 'both versions by weight';
    case ServiceReach.SEGMENTED: return 'both versions by segment';
    case ServiceReach.EVERY_POD: return 'every pod of both versions';
    case ServiceReach.LIVE_AND_MANAGED: return 'the live Service and, by its share, this service';
  }
}

const REACH_ORDER = [
  ServiceReach.NEW_VERSION, ServiceReach.STABLE_VERSION, ServiceReach.WEIGHTED, ServiceReach.SEGMENTED, ServiceReach.EVERY_POD,
  ServiceReach.LIVE_AND_MANAGED,
];

/**
 * The plan's line on a topology's Services: which version each reaches while a release is
 * analysed, and which ones the controller creates, e.g. `services during a release: the new version
 * at podinfo-canary; the stable version at podinfo-primary, podinfo; Flagger creates them when it
 * initializes the service`.
 */
export function describeServices(topology: TopologyObject[]): string {
  const services = topology.filter((o) => o.kind === 'Service' && o.reaches !== undefined);
  const groups = REACH_ORDER
    .map((reach) => ({ reach, names: services.filter((o) => o.reaches === reach).map((o) => o.name) }))
    .filter((g) => g.names.length > 0)
    .map((g) => `${reachInWords(g.reach)} at ${g.names.join(', ')}`);
  const generated = services.filter((o) => o.availability === ObjectAvailability.CONTROLLER_INITIALIZED);
  const creators = [...new Set(generated.map((o) => o.createdBy))];
  const when = generated.length === 0 ? 'all in the manifests'
    : generated.length === services.length ? `${creators.join(', ')} creates them when it initializes the service`
      : `${creators.join(', ')} creates ${generated.map((o) => o.name).join(', ')} when it initializes the service`;
  return `services during a release: ${groups.join('; ')}; ${when}`;
}
