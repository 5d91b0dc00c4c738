import { ApiObject, ApiObjectMetadata, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { checkArguments } from '../../arguments/check-arguments';
import { istioImports } from '../../generated-imports';
import { checkEmittedObjects } from '../../synth/object-validity';
import { checkDnsLabel, checkDnsSubdomain, checkHostLabels, checkInteger, checkPort, checkUniqueNames, checkWholeSeconds, fail } from '../../validation';

/**
 * Retry policy of an Istio HTTP route.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry
 */
export interface IstioRetries {
  /** Number of retries of a request (0 turns retries off), at most 100. */
  readonly attempts: number;
  /**
   * Timeout of each attempt, the first one included (whole seconds).
   *
   * @default - Istio's default: the route's timeout
   */
  readonly perTryTimeout?: Duration;
  /**
   * Conditions to retry on: Envoy retry policies or status codes, comma-separated, e.g.
   * `gateway-error,connect-failure,refused-stream`.
   *
   * @default - Istio's default conditions
   */
  readonly retryOn?: string;
}

/** One destination of an Istio HTTP route. */
export interface IstioRouteDestination {
  /** The Service to send traffic to, e.g. `podinfo` (a short name resolves in the VirtualService's namespace). */
  readonly host: string;
  /**
   * A subset of the host's endpoints, named in a DestinationRule for the host.
   *
   * @default - every endpoint of the host
   */
  readonly subset?: string;
  /**
   * The host's port.
   *
   * @default - the host's only port
   */
  readonly port?: number;
  /** Share of the route's traffic in percent (0-100); the weights of a route add up to 100. */
  readonly weight: number;
}

/** A named Istio HTTP route. */
export interface IstioHttpRoute {
  /** Name of the route (a DNS label); Argo Rollouts finds the routes whose weights it shifts by name. */
  readonly name: string;
  /** Where the traffic goes, with weights that add up to 100. */
  readonly destinations: IstioRouteDestination[];
  /**
   * Retry policy.
   *
   * @default - Istio's default retry policy
   */
  readonly retries?: IstioRetries;
  /**
   * Timeout of a request (whole seconds).
   *
   * @default - no timeout
   */
  readonly timeout?: Duration;
}

/** Props for `IstioVirtualService`. */
export interface IstioVirtualServiceProps {
  /** Name, namespace and labels of the VirtualService. */
  readonly metadata: ApiObjectMetadata;
  /**
   * The hosts clients address: Service names (`podinfo`) and external host names
   * (`podinfo.example.com`, `*.example.com`).
   */
  readonly hosts: string[];
  /**
   * The Gateways (`<namespace>/<name>`) and sidecars (`mesh`) the routes apply to. Name `mesh` as
   * well as a Gateway to keep routing in-mesh clients.
   *
   * @default - in-mesh clients only (Istio's default, `mesh`)
   */
  readonly gateways?: string[];
  /** The HTTP routes, in order of precedence. */
  readonly httpRoutes: IstioHttpRoute[];
}

/**
 * An Istio VirtualService (`networking.istio.io/v1`) with named, weighted HTTP routes.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/
 */
export class IstioVirtualService extends Construct {
  /** Name of the VirtualService. */
  public readonly name: string;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: IstioVirtualServiceProps) {
    super(checkArguments<Construct>('IstioVirtualService.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = `IstioVirtualService '${props.metadata.name ?? id}'`;
    if (props.hosts.length === 0) {
      fail(owner, "'hosts' must name at least one host");
    }
    props.hosts.forEach((host, i) => checkIstioHost(owner, `hosts[${i}]`, host));
    checkUniqueNames(owner, 'hosts', props.hosts);
    (props.gateways ?? []).forEach((gateway, i) => checkGatewayName(owner, `gateways[${i}]`, gateway, true));
    checkUniqueNames(owner, 'gateways', props.gateways ?? []);
    if (props.httpRoutes.length === 0) {
      fail(owner, "'httpRoutes' must hold at least one route");
    }
    props.httpRoutes.forEach((route, i) => checkHttpRoute(owner, `httpRoutes[${i}]`, route));
    checkUniqueNames(owner, 'httpRoutes', props.httpRoutes.map((route) => route.name));

    this.apiObject = new (istioImports().VirtualService)(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        hosts: [...props.hosts],
        gateways: props.gateways?.length ? [...props.gateways] : undefined,
        http: props.httpRoutes.map((route) => ({
          name: route.name,
          route: route.destinations.map((destination) => ({
            destination: {
              host: destination.host,
              subset: destination.subset,
              port: destination.port === undefined ? undefined : { number: destination.port },
            },
            weight: destination.weight,
          })),
          retries: route.retries ? toIstioRetries(route.retries) : undefined,
          timeout: route.timeout ? toIstioDuration(route.timeout) : undefined,
        })),
      },
    });
    this.name = this.apiObject.name;
  }
}

/** A named subset of a host's endpoints, selected by pod labels. */
export interface IstioSubset {
  /** Name of the subset (a DNS label), as routes name it. */
  readonly name: string;
  /** Pod labels that select the subset's endpoints. */
  readonly labels: { [key: string]: string };
}

/** Props for `IstioDestinationRule`. */
export interface IstioDestinationRuleProps {
  /** Name, namespace and labels of the DestinationRule. */
  readonly metadata: ApiObjectMetadata;
  /** The Service the rule applies to, e.g. `podinfo`. */
  readonly host: string;
  /** The subsets routes can name. */
  readonly subsets: IstioSubset[];
}

/**
 * An Istio DestinationRule (`networking.istio.io/v1`) that names subsets of a Service's endpoints.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/
 */
export class IstioDestinationRule extends Construct {
  /** Name of the DestinationRule. */
  public readonly name: string;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: IstioDestinationRuleProps) {
    super(checkArguments<Construct>('IstioDestinationRule.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = `IstioDestinationRule '${props.metadata.name ?? id}'`;
    checkDnsSubdomain(owner, 'host', props.host);
    if (props.subsets.length === 0) {
      fail(owner, "'subsets' must name at least one subset");
    }
    props.subsets.forEach((subset, i) => checkDnsLabel(owner, `subsets[${i}].name`, subset.name));
    checkUniqueNames(owner, 'subsets', props.subsets.map((subset) => subset.name));

    this.apiObject = new (istioImports().DestinationRule)(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        host: props.host,
        subsets: props.subsets.map((subset) => ({ name: subset.name, labels: { ...subset.labels } })),
      },
    });
    this.name = this.apiObject.name;
  }
}

const ISTIO_HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GATEWAY_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RETRY_ON = /^[a-z0-9-]+(,[a-z0-9-]+)*$/;

/** A host an Istio VirtualService or Gateway serves: a DNS subdomain, optionally with a leading `*.` wildcard. */
export function checkIstioHost(owner: string, property: string, value: string): string {
  if (!ISTIO_HOST.test(value) || value.length > 253) {
    fail(owner, `'${property}' ('${value}') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.', optionally after a leading '*.' wildcard`);
  }
  return checkHostLabels(owner, property, value);
}

/** A Gateway as VirtualServices and Flagger name it: `<namespace>/<name>` (or `mesh`, if allowed). */
export function checkGatewayName(owner: string, property: string, value: string, allowMesh: boolean): string {
  if (allowMesh && value === 'mesh') return value;
  if (!GATEWAY_NAME.test(value) || value.length > 317) {
    fail(owner, `'${property}' ('${value}') must be ${allowMesh ? "'mesh' or " : ''}'<namespace>/<name>' of a Gateway, e.g. 'istio-system/public-gateway'`);
  }
  return value;
}

/** Rejects retry policies Istio would reject. */
export function checkRetries(owner: string, property: string, retries: IstioRetries): void {
  checkInteger(owner, `${property}.attempts`, retries.attempts, 0, 100);
  if (retries.perTryTimeout !== undefined) checkWholeSeconds(owner, `${property}.perTryTimeout`, retries.perTryTimeout, 1);
  if (retries.retryOn !== undefined && !RETRY_ON.test(retries.retryOn)) {
    fail(owner, `'${property}.retryOn' ('${retries.retryOn}') must be retry conditions separated by commas, without spaces, e.g. 'gateway-error,connect-failure,refused-stream'`);
  }
}

/** Istio's (and Flagger's) form of a retry policy. */
export function toIstioRetries(retries: IstioRetries): { attempts: number; perTryTimeout?: string; retryOn?: string } {
  return {
    attempts: retries.attempts,
    ...(retries.perTryTimeout ? { perTryTimeout: toIstioDuration(retries.perTryTimeout) } : {}),
    ...(retries.retryOn ? { retryOn: retries.retryOn } : {}),
  };
}

/**
 * A duration as Istio reads it, in seconds (`30s`, `90s`): valid both for Istio's duration fields and
 * for the protobuf JSON form of a Duration. Checked to be whole seconds first.
 */
export function toIstioDuration(value: Duration): string {
  return `${value.toSeconds()}s`;
}

function checkHttpRoute(owner: string, property: string, route: IstioHttpRoute): void {
  checkDnsLabel(owner, `${property}.name`, route.name);
  if (route.destinations.length === 0) {
    fail(owner, `'${property}.destinations' must hold at least one destination`);
  }
  route.destinations.forEach((destination, i) => {
    const where = `${property}.destinations[${i}]`;
    checkDnsSubdomain(owner, `${where}.host`, destination.host);
    if (destination.subset !== undefined) checkDnsLabel(owner, `${where}.subset`, destination.subset);
    if (destination.port !== undefined) checkPort(owner, `${where}.port`, destination.port);
    checkInteger(owner, `${where}.weight`, destination.weight, 0, 100);
  });
  const total = route.destinations.reduce((sum, destination) => sum + destination.weight, 0);
  if (total !== 100) {
    fail(owner, `'${property}.destinations' have weights that add up to ${total}; they must add up to 100`);
  }
  if (route.retries !== undefined) checkRetries(owner, `${property}.retries`, route.retries);
  if (route.timeout !== undefined) checkWholeSeconds(owner, `${property}.timeout`, route.timeout, 1);
}
