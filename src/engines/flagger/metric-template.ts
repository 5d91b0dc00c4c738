import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { MetricProviderType } from '../../analysis/metric-providers';
import { checkPromQl } from '../../analysis/promql';
import { checkNoCredentialsInUrl } from '../../analysis/url-credentials';
import { checkArguments } from '../../arguments/check-arguments';
import { flaggerImports } from '../../generated-imports';
import type * as flagger from '../../imports/flagger.app';
import { checkEmittedObjects } from '../../synth/object-validity';
import { fail } from '../../validation';

/** Props for `FlaggerMetricTemplate`. */
export interface FlaggerMetricTemplateProps {
  /** Name and namespace of the MetricTemplate. */
  readonly metadata: ApiObjectMetadata;
  /** The query returning one number (PromQL for Prometheus); may use Flagger's template variables. */
  readonly query: string;
  /**
   * Address of the backend, e.g. the Prometheus `http://canary-prometheus.test:9090`.
   *
   * @default - the backend's own (required for Prometheus and Graphite)
   */
  readonly address?: string;
  /**
   * The backend.
   *
   * @default MetricProviderType.PROMETHEUS
   */
  readonly type?: MetricProviderType;
  /**
   * A Secret in the template's namespace with the backend's credentials.
   *
   * @default - none
   */
  readonly secretName?: string;
  /**
   * The AWS region (CloudWatch).
   *
   * @default - none
   */
  readonly region?: string;
}

/** A Flagger MetricTemplate (`flagger.app/v1beta1`) with a Prometheus provider. */
export class FlaggerMetricTemplate extends Construct {
  /** Name of the MetricTemplate. */
  public readonly name: string;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: FlaggerMetricTemplateProps) {
    super(checkArguments<Construct>('FlaggerMetricTemplate.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = `FlaggerMetricTemplate '${props.metadata.name ?? id}'`;
    const type = props.type ?? MetricProviderType.PROMETHEUS;
    const needsAddress = type === MetricProviderType.PROMETHEUS || type === MetricProviderType.GRAPHITE;
    if ((needsAddress || props.address !== undefined) && !/^https?:\/\/\S+$/.test(props.address ?? '')) {
      fail(owner, `'address' ('${props.address ?? ''}') must be an http:// or https:// URL`);
    }
    if (props.address !== undefined) {
      checkNoCredentialsInUrl(owner, 'address', props.address, "name a Secret with them in 'secretName' (Flagger's provider 'secretRef')");
    }
    if (type === MetricProviderType.PROMETHEUS) checkPromQl(owner, 'query', props.query);
    this.apiObject = new (flaggerImports().MetricTemplate)(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        provider: {
          type: type as string as flagger.MetricTemplateSpecProviderType,
          address: props.address,
          secretRef: props.secretName ? { name: props.secretName } : undefined,
          region: props.region,
        },
        query: props.query,
      },
    });
    this.name = this.apiObject.name;
  }
}
