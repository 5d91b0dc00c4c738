import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { AlertProviderType } from '../../analysis/alert';
import { checkArguments } from '../../arguments/check-arguments';
import { flaggerImports } from '../../generated-imports';
import type * as flagger from '../../imports/flagger.app';
import { checkEmittedObjects } from '../../synth/object-validity';
import { checkDnsSubdomain } from '../../validation';

/** Props for `AlertProvider`. */
export interface AlertProviderProps {
  /** Name and namespace of the AlertProvider. */
  readonly metadata: ApiObjectMetadata;
  /** The chat service. */
  readonly type: AlertProviderType;
  /**
   * Name of a Secret in the same namespace whose key `address` holds the webhook URL (and
   * optionally `token`). The URL is a credential, so it is never written into a manifest.
   */
  readonly secretName: string;
  /**
   * Channel to post in.
   *
   * @default - the webhook's default channel
   */
  readonly channel?: string;
  /**
   * User name to post as.
   *
   * @default - Flagger's default, 'flagger'
   */
  readonly username?: string;
}

/** A Flagger AlertProvider (`flagger.app/v1beta1`) whose address comes from a Secret. */
export class AlertProvider extends Construct {
  /** Name of the AlertProvider. */
  public readonly name: string;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: AlertProviderProps) {
    super(checkArguments<Construct>('AlertProvider.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    checkDnsSubdomain(`AlertProvider '${props.metadata.name ?? id}'`, 'secretName', props.secretName);
    this.apiObject = new (flaggerImports().AlertProvider)(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        type: props.type as string as flagger.AlertProviderSpecType,
        channel: props.channel,
        username: props.username,
        secretRef: { name: props.secretName },
      },
    });
    this.name = this.apiObject.name;
  }
}
