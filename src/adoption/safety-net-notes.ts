import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { referencesOf } from '../references/object-references';
import { ObjectAvailability, ServiceReach, TopologyObject } from '../references/topology';
import { SafetyNetConfig } from '../routers/router';

/** What the plan says of a safety net, from the objects of the service and its topology. */
export interface SafetyNetPlanInput {
  readonly name: string;
  readonly namespace: string;
  readonly net: SafetyNetConfig;
  /** The objects the engine and router created, by role. */
  readonly objects: { [role: string]: IConstruct };
  readonly topology: TopologyObject[];
  /** The controller in words (`Flagger`, `Argo Rollouts`). */
  readonly controller: string;
}

/** The plan's notes on a safety net: the share, and how to stage it when it waits for the controller. */
export function safetyNetNotes(input: SafetyNetPlanInput): string[] {
  const { net, name } = input;
  const alone = net.managedHost ? `'${net.managedHost}' reaches this service alone` : 'the managed host reaches this service alone';
  if (net.share === 0) {
    return [`safety net staged (share 0): every request of the hosts stays on '${net.liveService}'; ${alone}. `
      + `Raise 'safetyNet.share' once the controller has initialized the service${initializedCheck(input)}`];
  }
  const notes = [`safety net: ${net.share}% of the hosts' traffic reaches this service, the rest stays on '${net.liveService}'; `
    + `${shareReach(input)}; ${alone}`];
  const waiting = notYetCreated(input);
  if (waiting.length > 0 && input.objects.safetyNetFallbackRoute === undefined) {
    notes.push(`safety net before the controller initializes: the net sends ${net.share}% of the hosts' requests to `
      + `${waiting.map((o) => `${o.kind} '${o.name}'`).join(', ')}, which ${input.controller} creates only once '${name}-primary' is ready; `
      + `until then those requests fail. On the first apply, stage the net: 'safetyNet.share' 0, then raise it${initializedCheck(input)}`);
  }
  return notes;
}

/**
 * Where the net's share goes within the service, from what the objects its routes send to reach: a
 * weighted object (the controller's split applies within the share), the stable version alone (the
 * canary is judged on the managed host's traffic only), or every pod by their number.
 */
function shareReach(input: SafetyNetPlanInput): string {
  const { net, name } = input;
  const reaches = new Set(netTargets(input, () => true).map((o) => o.reaches));
  const weighted = reaches.has(ServiceReach.WEIGHTED) || (reaches.has(ServiceReach.NEW_VERSION) && reaches.has(ServiceReach.STABLE_VERSION));
  if (weighted) return `a canary weight of W% is W x ${net.share} / 100 % of the users`;
  if (reaches.has(ServiceReach.EVERY_POD)) {
    return `the net's share reaches every pod of '${name}' by their number, not by the canary's weight: the canary gets its replicas' part of it`;
  }
  if (reaches.has(ServiceReach.STABLE_VERSION)) {
    return `the net's share reaches the primary only ('${name}'); the canary is judged on the managed host's traffic alone`;
  }
  return `a canary weight of W% is W x ${net.share} / 100 % of the users`;
}

/** The objects of the topology the net's routes send to that `keep` accepts. */
function netTargets(input: SafetyNetPlanInput, keep: (o: TopologyObject) => boolean): TopologyObject[] {
  const known = new Map(input.topology.filter(keep).map((o) => [`${o.kind}|${o.namespace}|${o.name}`, o]));
  const found: TopologyObject[] = [];
  for (const role of ['safetyNetService', 'safetyNetRoute']) {
    const construct = input.objects[role];
    const object = construct && (ApiObject.isApiObject(construct) ? construct : construct.node.defaultChild as ApiObject | undefined);
    for (const ref of object ? referencesOf(object.toJson()) : []) {
      const target = known.get(`${ref.kind}|${ref.namespace}|${ref.name}`);
      if (target && !found.includes(target)) found.push(target);
    }
  }
  return found;
}

/** The objects the net's routes send to that the controller creates only when it initializes. */
function notYetCreated(input: SafetyNetPlanInput): TopologyObject[] {
  return netTargets(input, (o) => o.availability === ObjectAvailability.CONTROLLER_INITIALIZED);
}

function initializedCheck(input: SafetyNetPlanInput): string {
  return input.controller === 'Flagger'
    ? ` (\`kubectl -n ${input.namespace} get canary ${input.name}\` reports Initialized)`
    : '';
}
