import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { checkArguments } from '../../arguments/check-arguments';
import { gatewayApiImports } from '../../generated-imports';
import { checkEmittedObjects } from '../../synth/object-validity';

/** A Gateway a route attaches to (`parentRefs`). */
export interface GatewayParent {
  /** Name of the Gateway. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
  /**
   * The listener the route attaches to.
   *
   * @default - every listener that admits it
   */
  readonly sectionName?: string;
}

/** One backend of a route rule: a Service in the route's namespace. */
export interface GatewayBackend {
  /** Name of the Service. */
  readonly service: string;
  /** Its port. */
  readonly port: number;
  /**
   * Relative weight; a controller (Flagger, Argo Rollouts' plugin) may rewrite it.
   *
   * @default - Gateway API's default (1)
   */
  readonly weight?: number;
}

/** Props of `GatewayHttpRoute`. */
export interface GatewayHttpRouteProps {
  /** Name and namespace (required), labels. */
  readonly metadata: ApiObjectMetadata;
  /** The Gateways it attaches to. */
  readonly parents: GatewayParent[];
  /** Host names it routes. */
  readonly hostnames: string[];
  /**
   * Path prefix it routes.
   *
   * @default '/'
   */
  readonly pathPrefix?: string;
  /** The backends of its one rule. */
  readonly backends: GatewayBackend[];
}

/**
 * An HTTPRoute (`gateway.networking.k8s.io/v1`) with one rule: a path prefix on some hosts to
 * weighted Services of its own namespace.
 */
export class GatewayHttpRoute extends Construct {
  /** Name of the route. */
  public readonly name: string;
  /** The L1 object. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: GatewayHttpRouteProps) {
    super(checkArguments<Construct>('GatewayHttpRoute.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    this.name = props.metadata.name!;
    this.apiObject = new (gatewayApiImports().HttpRoute)(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        parentRefs: props.parents.map((parent) => ({
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: parent.name,
          namespace: parent.namespace,
          sectionName: parent.sectionName,
        })),
        hostnames: [...props.hostnames],
        rules: [{
          matches: [{ path: { type: gatewayApiImports().HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: props.pathPrefix ?? '/' } }],
          backendRefs: props.backends.map((backend) => ({
            group: '',
            kind: 'Service',
            name: backend.service,
            port: backend.port,
            weight: backend.weight,
          })),
        }],
      },
    });
  }
}

/** Props of `GatewayApiGateway`. */
export interface GatewayApiGatewayProps {
  /** Name and namespace (required), labels. */
  readonly metadata: ApiObjectMetadata;
  /** The GatewayClass, e.g. `istio`. */
  readonly className: string;
  /** Name of its one HTTP listener. */
  readonly listenerName: string;
  /** Port of that listener. */
  readonly port: number;
}

/** A Gateway (`gateway.networking.k8s.io/v1`) with one HTTP listener for routes of its own namespace. */
export class GatewayApiGateway extends Construct {
  /** Name of the Gateway. */
  public readonly name: string;
  /** Namespace of the Gateway. */
  public readonly namespace: string;
  /** The L1 object. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: GatewayApiGatewayProps) {
    super(checkArguments<Construct>('GatewayApiGateway.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    this.name = props.metadata.name!;
    this.namespace = props.metadata.namespace!;
    this.apiObject = new (gatewayApiImports().Gateway)(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        gatewayClassName: props.className,
        listeners: [{
          name: props.listenerName,
          port: props.port,
          protocol: 'HTTP',
          allowedRoutes: { namespaces: { from: gatewayApiImports().GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME } },
        }],
      },
    });
  }
}
