import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { TraefikBackendKind } from './ingress-route';
import { checkArguments } from '../../arguments/check-arguments';
import { traefikImports } from '../../generated-imports';
import type * as traefik from '../../imports/traefik.io';
import { checkEmittedObjects } from '../../synth/object-validity';
import { checkDnsLabel, checkDnsSubdomain, checkInteger, checkPort, fail } from '../../validation';

/** Largest weight `TraefikWeightedService` accepts (Argo Rollouts writes 0-100). */
const MAX_WEIGHT = 1000;

/** One Kubernetes Service a `TraefikWeightedService` balances between. */
export interface TraefikWeightedServiceEntry {
  /** Name of the Kubernetes Service. */
  readonly name: string;
  /** Port of the Service (its `port`, not the container's `targetPort`). */
  readonly port: number;
  /**
   * Namespace of the Service.
   *
   * @default - the TraefikService's namespace
   */
  readonly namespace?: string;
  /**
   * Share of the traffic, relative to the other entries (an integer from 0 to 1000).
   *
   * Leave it out when a controller manages the weights: Argo Rollouts writes them at run time,
   * and a weight in Git would make Argo CD or Flux report drift or reset them on every sync.
   * Traefik treats a missing weight as 1.
   *
   * @default - no weight: the controller sets it
   * @see https://argoproj.github.io/argo-rollouts/features/traffic-management/traefik/
   */
  readonly weight?: number;
  /**
   * A Kubernetes Service, or another TraefikService (whose own split then applies within this
   * entry's share).
   *
   * @default TraefikBackendKind.SERVICE
   */
  readonly kind?: TraefikBackendKind;
}

/** Props for `TraefikWeightedService`. */
export interface TraefikWeightedServiceProps {
  /** Name, namespace and labels of the TraefikService. */
  readonly metadata: ApiObjectMetadata;
  /** The Services to balance between (at least one), in order. */
  readonly services: TraefikWeightedServiceEntry[];
}

/**
 * A weighted round-robin Traefik `TraefikService` (`traefik.io/v1alpha1`, `spec.weighted`), as
 * Argo Rollouts' Traefik router expects it: an IngressRoute routes to it, and the controller sets
 * the weights of its stable and canary entries.
 *
 * @see https://doc.traefik.io/traefik/v3.7/reference/routing-configuration/kubernetes/crd/http/traefikservice/
 */
export class TraefikWeightedService extends Construct {
  /** Name of the TraefikService. */
  public readonly name: string;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: TraefikWeightedServiceProps) {
    super(checkArguments<Construct>('TraefikWeightedService.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = `TraefikWeightedService '${props.metadata.name ?? id}'`;
    if (props.metadata.name !== undefined) {
      checkDnsSubdomain(owner, 'metadata.name', props.metadata.name);
    }
    if (props.services.length === 0) {
      fail(owner, "'services' must name at least one Service");
    }
    const seen = new Map<string, number>();
    const services = props.services.map((entry, i): traefik.TraefikServiceSpecWeightedServices => {
      checkDnsLabel(owner, `services[${i}].name`, entry.name);
      checkPort(owner, `services[${i}].port`, entry.port);
      if (entry.namespace !== undefined) {
        checkDnsLabel(owner, `services[${i}].namespace`, entry.namespace);
      }
      if (entry.weight !== undefined) {
        checkInteger(owner, `services[${i}].weight`, entry.weight, 0, MAX_WEIGHT);
      }
      const key = `${entry.namespace ?? ''}/${entry.name}:${entry.port}`;
      const first = seen.get(key);
      if (first !== undefined) {
        fail(owner, `'services[${i}]' (${entry.name}:${entry.port}) repeats 'services[${first}]'; each Service and port may appear once`);
      }
      seen.set(key, i);
      return {
        kind: entry.kind === TraefikBackendKind.TRAEFIK_SERVICE ? traefikImports().TraefikServiceSpecWeightedServicesKind.TRAEFIK_SERVICE : undefined,
        name: entry.name,
        namespace: entry.namespace,
        port: traefikImports().TraefikServiceSpecWeightedServicesPort.fromNumber(entry.port),
        weight: entry.weight,
      };
    });
    this.apiObject = new (traefikImports().TraefikService)(this, 'Resource', {
      metadata: props.metadata,
      spec: { weighted: { services } },
    });
    this.name = this.apiObject.name;
  }
}
