import { ApiObject, ApiObjectMetadata, JsonPatch, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { checkArguments } from '../../arguments/check-arguments';
import { checkEmittedObjects } from '../../synth/object-validity';
import { checkDnsSubdomain, checkUniqueNames, fail } from '../../validation';

// The GVKs only: importing the generated argoproj.io module (4 MB) would double the library's import time.
const ANALYSIS_TEMPLATE_GVK = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate' };
const CLUSTER_ANALYSIS_TEMPLATE_GVK = { apiVersion: 'argoproj.io/v1alpha1', kind: 'ClusterAnalysisTemplate' };

/** Props for `ArgoAnalysisTemplate`. */
export interface ArgoAnalysisTemplateProps {
  /** Name (and, unless cluster-scoped, namespace) of the template. */
  readonly metadata: ApiObjectMetadata;
  /**
   * Create a ClusterAnalysisTemplate (shared by every namespace) instead of an AnalysisTemplate.
   *
   * @default false
   */
  readonly clusterScoped?: boolean;
  /** Names of the arguments the Rollout passes (`{{args.<name>}}` in the metrics). */
  readonly argumentNames: string[];
  /**
   * Metrics in Argo Rollouts' form (`name`, `interval`, `count`, `successCondition`,
   * `failureLimit`, `provider`), as the delivery engine renders them.
   */
  readonly metrics: { [key: string]: any }[];
}

/** An Argo Rollouts AnalysisTemplate or ClusterAnalysisTemplate (`argoproj.io/v1alpha1`). */
export class ArgoAnalysisTemplate extends Construct {
  /** Name of the template. */
  public readonly name: string;
  /** Whether it is a ClusterAnalysisTemplate. */
  public readonly clusterScoped: boolean;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;

  private readonly metrics: { [key: string]: any }[];

  public constructor(scope: Construct, id: string, props: ArgoAnalysisTemplateProps) {
    super(checkArguments<Construct>('ArgoAnalysisTemplate.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = `ArgoAnalysisTemplate '${props.metadata.name ?? id}'`;
    this.clusterScoped = props.clusterScoped ?? false;
    if (props.metrics.length === 0) {
      fail(owner, "'metrics' must have at least one metric");
    }
    checkUniqueNames(owner, 'metrics', props.metrics.map((metric) => metric.name));
    checkUniqueNames(owner, 'argumentNames', props.argumentNames);
    this.metrics = [...props.metrics];
    const gvk = this.clusterScoped ? CLUSTER_ANALYSIS_TEMPLATE_GVK : ANALYSIS_TEMPLATE_GVK;
    const metadata = this.clusterScoped ? { ...props.metadata, namespace: undefined } : props.metadata;
    // A plain ApiObject: the generated class's toJson drops int-or-string values (count,
    // failureLimit) given as plain numbers, and the conformance checker validates the result.
    this.apiObject = new ApiObject(this, 'Resource', {
      ...gvk,
      metadata,
      spec: {
        args: props.argumentNames.map((name) => ({ name })),
        metrics: Lazy.any({ produce: () => this.metrics }),
      },
    });
    if (this.clusterScoped && this.apiObject.metadata.namespace !== undefined) {
      // cdk8s fills in the Chart's namespace; a cluster-scoped object must have none.
      this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
    this.name = checkDnsSubdomain(owner, 'metadata.name', this.apiObject.name);
  }

  /** Adds a metric in Argo Rollouts' form. */
  public addMetric(metric: { [key: string]: any }): void {
    checkArguments('ArgoAnalysisTemplate.addMetric', [metric], `ArgoAnalysisTemplate '${this.node.id}'`);
    checkUniqueNames(`ArgoAnalysisTemplate '${this.name}'`, 'metrics', [...this.metrics.map((m) => m.name), metric.name]);
    this.metrics.push(metric);
  }

  /** A reference to this template, as a Rollout's analysis lists it. */
  public get reference(): { [key: string]: any } {
    return this.clusterScoped ? { templateName: this.name, clusterScope: true } : { templateName: this.name };
  }
}
