import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { checkPromQl } from '../../analysis/promql';
import * as flagger from '../../imports/flagger.app';
import { fail } from '../../validation';

/** Props for `FlaggerMetricTemplate`. */
export interface FlaggerMetricTemplateProps {
  /** Name and namespace of the MetricTemplate. */
  readonly metadata: ApiObjectMetadata;
  /** PromQL returning one number; may use Flagger's template variables. */
  readonly query: string;
  /** Address of the Prometheus to query, e.g. `http://flagger-prometheus.test:9090`. */
  readonly address: string;
}

/** A Flagger MetricTemplate (`flagger.app/v1beta1`) with a Prometheus provider. */
export class FlaggerMetricTemplate extends Construct {
  /** Name of the MetricTemplate. */
  public readonly name: string;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: FlaggerMetricTemplateProps) {
    super(scope, id);
    const owner = `FlaggerMetricTemplate '${props.metadata.name ?? id}'`;
    if (!/^https?:\/\/\S+$/.test(props.address)) {
      fail(owner, `'address' ('${props.address}') must be an http:// or https:// URL`);
    }
    checkPromQl(owner, 'query', props.query);
    this.apiObject = new flagger.MetricTemplate(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        provider: { type: flagger.MetricTemplateSpecProviderType.PROMETHEUS, address: props.address },
        query: props.query,
      },
    });
    this.name = this.apiObject.name;
  }
}
