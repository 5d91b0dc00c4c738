import { ApiObject, ApiObjectMetadata, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { PLAIN_PATH, PLAIN_PATH_CHARACTERS } from '../../analysis/shell';
import { checkArguments } from '../../arguments/check-arguments';
import { traefikImports } from '../../generated-imports';
import type * as traefik from '../../imports/traefik.io';
import { TRAEFIK_WEB_ENTRYPOINT } from '../../platform/conventions';
import { checkEmittedObjects } from '../../synth/object-validity';
import { checkDnsSubdomain, checkHostLabels, checkInteger, checkPort, fail } from '../../validation';

/** The highest priority given: the largest exact integer in JavaScript, below Traefik's maximum (pkg/server/router/router.go maxUserPriority). */
const MAX_USER_PRIORITY = Number.MAX_SAFE_INTEGER;

/** What an IngressRoute sends traffic to. */
export enum TraefikBackendKind {
  /** A Kubernetes Service. */
  SERVICE = 'Service',
  /** A TraefikService (weighted or mirrored), e.g. the one Flagger generates. */
  TRAEFIK_SERVICE = 'TraefikService',
}

/** A Traefik Middleware applied to the route. */
export interface TraefikMiddlewareReference {
  /** Name of the Middleware. */
  readonly name: string;
  /**
   * Its namespace.
   *
   * @default - the IngressRoute's namespace
   */
  readonly namespace?: string;
}

/** Where and how a Traefik IngressRoute accepts traffic. */
export interface TraefikRouteOptions {
  /** Host names to route, one `Host()` rule each. */
  readonly hosts: string[];
  /**
   * Traefik entryPoints to listen on.
   *
   * @default ['web']
   */
  readonly entryPoints?: string[];
  /**
   * Only route requests whose path starts with this prefix.
   *
   * @default - every path
   */
  readonly pathPrefix?: string;
  /**
   * Middlewares applied to every route.
   *
   * @default - none
   */
  readonly middlewares?: TraefikMiddlewareReference[];
  /**
   * Name of a Secret holding the TLS certificate for the hosts.
   *
   * @default - no TLS on this route
   */
  readonly tlsSecretName?: string;
}

/** Props for `TraefikIngressRoute`. */
export interface TraefikIngressRouteProps extends TraefikRouteOptions {
  /** Name, namespace and labels of the IngressRoute. */
  readonly metadata: ApiObjectMetadata;
  /** Name of the Service or TraefikService to route to. */
  readonly backendName: string;
  /** Port of the backend. */
  readonly backendPort: number;
  /**
   * Kind of the backend.
   *
   * @default TraefikBackendKind.TRAEFIK_SERVICE
   */
  readonly backendKind?: TraefikBackendKind;
  /**
   * Priority of every route among Traefik's routers whose rules match a request (higher wins).
   *
   * @default - Traefik's: the length of the rule
   */
  readonly priority?: number;
}

/** A Traefik IngressRoute (`traefik.io/v1alpha1`) with one route per host. */
export class TraefikIngressRoute extends Construct {
  /** Name of the IngressRoute. */
  public readonly name: string;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;

  private readonly middlewares: TraefikMiddlewareReference[];
  private readonly owner: string;

  public constructor(scope: Construct, id: string, props: TraefikIngressRouteProps) {
    super(checkArguments<Construct>('TraefikIngressRoute.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = `TraefikIngressRoute '${props.metadata.name ?? id}'`;
    this.owner = owner;
    checkRouteOptions(owner, props);
    checkDnsSubdomain(owner, 'backendName', props.backendName);
    checkPort(owner, 'backendPort', props.backendPort);
    if (props.priority !== undefined) checkInteger(owner, 'priority', props.priority, 1, MAX_USER_PRIORITY);
    this.middlewares = [...(props.middlewares ?? [])];
    const backend: traefik.IngressRouteSpecRoutesServices = {
      name: props.backendName,
      kind: (props.backendKind ?? TraefikBackendKind.TRAEFIK_SERVICE) as string as traefik.IngressRouteSpecRoutesServicesKind,
      port: traefikImports().IngressRouteSpecRoutesServicesPort.fromNumber(props.backendPort),
    };
    const pathRule = props.pathPrefix ? ` && PathPrefix(\`${props.pathPrefix}\`)` : '';
    this.apiObject = new (traefikImports().IngressRoute)(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        entryPoints: props.entryPoints ?? [TRAEFIK_WEB_ENTRYPOINT],
        routes: props.hosts.map((host) => ({
          kind: traefikImports().IngressRouteSpecRoutesKind.RULE,
          match: `Host(\`${host}\`)${pathRule}`,
          priority: props.priority,
          services: [backend],
          middlewares: Lazy.any({ produce: () => (this.middlewares.length ? this.middlewares : undefined) }) as any,
        })),
        tls: props.tlsSecretName ? { secretName: props.tlsSecretName } : undefined,
      },
    });
    this.name = this.apiObject.name;
  }

  /** Applies a Middleware to every route. */
  public addMiddleware(middleware: TraefikMiddlewareReference): void {
    checkArguments('TraefikIngressRoute.addMiddleware', [middleware], `TraefikIngressRoute '${this.node.id}'`);
    checkDnsSubdomain(this.owner, `middlewares[${this.middlewares.length}].name`, middleware.name);
    this.middlewares.push(middleware);
  }
}

/** Rejects options Traefik would reject or silently ignore. */
export function checkRouteOptions(owner: string, options: TraefikRouteOptions): void {
  if (options.hosts.length === 0) {
    fail(owner, "'hosts' must name at least one host");
  }
  options.hosts.forEach((host, i) => checkHostLabels(owner, `hosts[${i}]`, checkDnsSubdomain(owner, `hosts[${i}]`, host)));
  (options.entryPoints ?? []).forEach((entryPoint, i) => {
    if (!/^[A-Za-z0-9][-A-Za-z0-9_]*$/.test(entryPoint)) {
      fail(owner, `'entryPoints[${i}]' ('${entryPoint}') must be the name of a Traefik entryPoint (letters, digits, '-' and '_')`);
    }
  });
  if (options.pathPrefix !== undefined && !PLAIN_PATH.test(options.pathPrefix)) {
    fail(owner, `'pathPrefix' ('${options.pathPrefix}') must start with '/' and hold only ${PLAIN_PATH_CHARACTERS}, e.g. '/api'; percent-encode anything else`);
  }
  (options.middlewares ?? []).forEach((middleware, i) => checkDnsSubdomain(owner, `middlewares[${i}].name`, middleware.name));
  if (options.tlsSecretName !== undefined) {
    checkDnsSubdomain(owner, 'tlsSecretName', options.tlsSecretName);
  }
}
