import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { GeneratedObject, ObjectAvailability, ServiceReach, TopologyObject } from './topology';
import { StrategyKind } from '../strategy/delivery-strategy';

/** The library's name as the creator of what is in the manifests. */
export const LIBRARY = 'cdk8s-canary';

/** What each role of the objects an engine and router create is, and which version it reaches. */
const ROLES: { [role: string]: { words: string; reaches?: ServiceReach } } = {
  canaryService: { words: 'canary Service', reaches: ServiceReach.NEW_VERSION },
  stableService: { words: 'stable Service', reaches: ServiceReach.STABLE_VERSION },
  activeService: { words: 'active Service', reaches: ServiceReach.STABLE_VERSION },
  previewService: { words: 'preview Service', reaches: ServiceReach.NEW_VERSION },
  service: { words: 'Service of every pod', reaches: ServiceReach.EVERY_POD },
  ingressRoute: { words: 'IngressRoute of the hosts', reaches: ServiceReach.WEIGHTED },
  traefikService: { words: 'weighted TraefikService', reaches: ServiceReach.WEIGHTED },
  virtualService: { words: 'VirtualService of the hosts', reaches: ServiceReach.WEIGHTED },
  httpRoute: { words: 'HTTPRoute of the hosts', reaches: ServiceReach.WEIGHTED },
  destinationRule: { words: 'DestinationRule of the subsets' },
  ingress: { words: 'Ingress of the hosts' },
  gateway: { words: 'Gateway' },
  previewRoute: { words: 'route of the preview host', reaches: ServiceReach.NEW_VERSION },
  previewTraefikService: { words: 'TraefikService of the preview host', reaches: ServiceReach.NEW_VERSION },
  safetyNetService: { words: 'safety net split', reaches: ServiceReach.LIVE_AND_MANAGED },
  safetyNetRoute: { words: 'safety net route of the hosts', reaches: ServiceReach.LIVE_AND_MANAGED },
  safetyNetFallbackRoute: { words: 'safety net fallback route to the live Service' },
};


/** What the topology of one service is built from. */
export interface TopologyInput {
  /** The controller's name in words (`Flagger`, `Argo Rollouts`). */
  readonly controller: string;
  readonly namespace: string;
  /** The objects the engine and router created, by role. */
  readonly objects: { [role: string]: IConstruct };
  /** What the controller creates itself. */
  readonly generated: GeneratedObject[];
  /** How traffic moves: what a route that splits between the versions does while a release is analysed. */
  readonly strategy: StrategyKind;
}

/**
 * The Services and routes of one service, those in the manifests (by the role the engine and
 * router gave them) and those the controller creates, in a stable order.
 */
export function buildTopology(input: TopologyInput): TopologyObject[] {
  const split = splitReach(input.strategy);
  const emitted: TopologyObject[] = [];
  for (const [role, construct] of Object.entries(input.objects)) {
    const known = ROLES[role];
    const object = known && apiObjectOf(construct);
    if (!known || !object) continue;
    emitted.push({
      kind: object.kind,
      apiGroup: apiGroupOf(object),
      name: object.name,
      namespace: object.metadata.namespace ?? input.namespace,
      createdBy: LIBRARY,
      availability: ObjectAvailability.APPLIED,
      role: known.words,
      reaches: known.reaches === ServiceReach.WEIGHTED ? split : known.reaches,
    });
  }
  const generated = input.generated.map((object): TopologyObject => ({
    ...object,
    reaches: object.reaches === ServiceReach.WEIGHTED ? split : object.reaches,
    namespace: input.namespace,
    createdBy: input.controller,
    availability: ObjectAvailability.CONTROLLER_INITIALIZED,
  }));
  return [...emitted, ...generated];
}

/**
 * What a route between the two versions sends where while a release is analysed: by weight in a
 * canary, by segment in an A/B test or phases, and all to the stable version before a blue/green
 * switch (with mirroring, copies go to the new version).
 */
function splitReach(strategy: StrategyKind): ServiceReach {
  switch (strategy) {
    case StrategyKind.BLUE_GREEN: return ServiceReach.STABLE_VERSION;
    case StrategyKind.AB_TEST:
    case StrategyKind.PHASED: return ServiceReach.SEGMENTED;
    default: return ServiceReach.WEIGHTED;
  }
}

/** The object's API group, empty for the core group (cdk8s calls it `core`). */
export function apiGroupOf(object: ApiObject): string {
  return object.apiGroup === 'core' ? '' : object.apiGroup;
}

function apiObjectOf(construct: IConstruct): ApiObject | undefined {
  if (ApiObject.isApiObject(construct)) return construct;
  const child = construct.node.defaultChild;
  return child && ApiObject.isApiObject(child) ? child : undefined;
}
