import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { checkIstioHost } from './virtual-service';
import { checkArguments } from '../../arguments/check-arguments';
import { istioImports } from '../../generated-imports';
import { checkEmittedObjects } from '../../synth/object-validity';
import { checkDnsSubdomain, checkPort, checkUniqueNames, fail } from '../../validation';

/** How an Istio Gateway accepts traffic. */
export interface IstioGatewayOptions {
  /**
   * Port the ingress gateway listens on.
   *
   * @default 443 with `tlsSecretName`, 80 otherwise
   */
  readonly port?: number;
  /**
   * Name of a TLS Secret (`tls.crt`, `tls.key`) for the hosts; the server then speaks HTTPS. Istio reads
   * it from the namespace the ingress gateway runs in (usually `istio-system`), not the Gateway's.
   *
   * @default - plain HTTP
   */
  readonly tlsSecretName?: string;
  /**
   * Labels of the ingress gateway pods that serve this Gateway.
   *
   * @default { istio: 'ingressgateway' }
   */
  readonly selector?: { [key: string]: string };
}

/** Props for `IstioGateway`. */
export interface IstioGatewayProps extends IstioGatewayOptions {
  /** Name, namespace and labels of the Gateway; the namespace is required, since routes name it. */
  readonly metadata: ApiObjectMetadata;
  /** Host names the Gateway accepts (`podinfo.example.com`, `*.example.com`). */
  readonly hosts: string[];
}

/** The pods of Istio's default ingress gateway. */
const DEFAULT_SELECTOR = { istio: 'ingressgateway' };

/**
 * An Istio Gateway (`networking.istio.io/v1`): one HTTP or HTTPS server on the ingress gateway for the
 * given hosts. VirtualServices bind to it as `<namespace>/<name>` (`reference`).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/gateway/
 */
export class IstioGateway extends Construct {
  /** Name of the Gateway. */
  public readonly name: string;
  /** Namespace of the Gateway. */
  public readonly namespace: string;
  /** How VirtualServices and Flagger name the Gateway: `<namespace>/<name>`. */
  public readonly reference: string;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: IstioGatewayProps) {
    super(checkArguments<Construct>('IstioGateway.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = `IstioGateway '${props.metadata.name ?? id}'`;
    this.namespace = props.metadata.namespace
      ?? fail(owner, "'metadata.namespace' is required: VirtualServices name a Gateway as '<namespace>/<name>'");
    if (props.hosts.length === 0) {
      fail(owner, "'hosts' must name at least one host");
    }
    props.hosts.forEach((host, i) => checkIstioHost(owner, `hosts[${i}]`, host));
    checkUniqueNames(owner, 'hosts', props.hosts);
    checkGatewayOptions(owner, props);

    const tls = props.tlsSecretName !== undefined;
    this.apiObject = new (istioImports().Gateway)(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        selector: { ...(props.selector ?? DEFAULT_SELECTOR) },
        servers: [{
          port: {
            number: props.port ?? (tls ? 443 : 80),
            name: tls ? 'https' : 'http',
            protocol: tls ? 'HTTPS' : 'HTTP',
          },
          hosts: [...props.hosts],
          tls: tls ? { mode: istioImports().GatewaySpecServersTlsMode.SIMPLE, credentialName: props.tlsSecretName } : undefined,
        }],
      },
    });
    this.name = this.apiObject.name;
    this.reference = `${this.namespace}/${this.name}`;
  }
}

/** Rejects Gateway options Istio would reject. */
export function checkGatewayOptions(owner: string, options: IstioGatewayOptions): void {
  if (options.port !== undefined) checkPort(owner, 'port', options.port);
  if (options.tlsSecretName !== undefined) checkDnsSubdomain(owner, 'tlsSecretName', options.tlsSecretName);
  if (options.selector !== undefined && Object.keys(options.selector).length === 0) {
    fail(owner, "'selector' must hold at least one label of the ingress gateway pods, e.g. { istio: 'ingressgateway' }");
  }
}
