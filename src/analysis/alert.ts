import { checkArguments } from '../arguments/check-arguments';

/** Chat services Flagger can alert. */
export enum AlertProviderType {
  /** Slack. */
  SLACK = 'slack',
  /** Microsoft Teams. */
  MSTEAMS = 'msteams',
  /** Discord. */
  DISCORD = 'discord',
  /** Rocket.Chat. */
  ROCKET = 'rocket',
  /** Google Chat. */
  GCHAT = 'gchat',
}

/** Which rollout events an alert reports. */
export enum AlertSeverity {
  /** Every event. */
  INFO = 'info',
  /** Warnings and errors. */
  WARN = 'warn',
  /** Errors only (failed checks, rollbacks). */
  ERROR = 'error',
}

/** Options for a chat alert. */
export interface ChatAlertOptions {
  /**
   * Name of a Secret in the service's namespace whose key `address` holds the webhook URL
   * (and optionally `token`). The URL is a credential, so it is never written into a manifest.
   */
  readonly secretName: string;
  /**
   * The key of that Secret that holds the webhook URL. Flagger's AlertProviders read `address`;
   * Argo Rollouts reads any key of `argo-rollouts-notification-secret` (one key per alert when a
   * namespace has several).
   *
   * @default 'address'
   */
  readonly secretKey?: string;
  /**
   * Name of the alert, unique within the analysis; the AlertProvider is named `<service>-<name>`.
   *
   * @default - the provider type, e.g. 'slack'
   */
  readonly name?: string;
  /**
   * Channel to post in.
   *
   * @default - the webhook's default channel
   */
  readonly channel?: string;
  /**
   * User name to post as.
   *
   * @default - 'flagger'
   */
  readonly username?: string;
  /**
   * Which events to report.
   *
   * @default AlertSeverity.INFO
   */
  readonly severity?: AlertSeverity;
}

/** Options for `CanaryAlert.existingProvider()`. */
export interface ExistingAlertProviderOptions {
  /** Name of an AlertProvider that already exists (e.g. one shared by a team). */
  readonly providerName: string;
  /**
   * Its namespace.
   *
   * @default - the service's namespace
   */
  readonly providerNamespace?: string;
  /**
   * Name of the alert, unique within the analysis.
   *
   * @default - the provider's name, with '.' replaced by '-'
   */
  readonly name?: string;
  /**
   * Which events to report.
   *
   * @default AlertSeverity.INFO
   */
  readonly severity?: AlertSeverity;
}

/** Where rollout events are reported. */
export class CanaryAlert {
  /** Alerts to Slack. */
  public static slack(options: ChatAlertOptions): CanaryAlert {
    checkArguments('CanaryAlert.slack', [options]);
    return CanaryAlert.chat(AlertProviderType.SLACK, options);
  }

  /** Alerts to Microsoft Teams. */
  public static msteams(options: ChatAlertOptions): CanaryAlert {
    checkArguments('CanaryAlert.msteams', [options]);
    return CanaryAlert.chat(AlertProviderType.MSTEAMS, options);
  }

  /** Alerts to Discord. */
  public static discord(options: ChatAlertOptions): CanaryAlert {
    checkArguments('CanaryAlert.discord', [options]);
    return CanaryAlert.chat(AlertProviderType.DISCORD, options);
  }

  /** Alerts to Rocket.Chat. */
  public static rocket(options: ChatAlertOptions): CanaryAlert {
    checkArguments('CanaryAlert.rocket', [options]);
    return CanaryAlert.chat(AlertProviderType.ROCKET, options);
  }

  /** Alerts to Google Chat. */
  public static gchat(options: ChatAlertOptions): CanaryAlert {
    checkArguments('CanaryAlert.gchat', [options]);
    return CanaryAlert.chat(AlertProviderType.GCHAT, options);
  }

  /** Alerts through an AlertProvider that exists already; nothing new is created. */
  public static existingProvider(options: ExistingAlertProviderOptions): CanaryAlert {
    checkArguments('CanaryAlert.existingProvider', [options]);
    return new CanaryAlert(options.name ?? options.providerName.replace(/\./g, '-'), options.severity ?? AlertSeverity.INFO, {
      providerName: options.providerName,
      providerNamespace: options.providerNamespace,
    });
  }

  private static chat(type: AlertProviderType, options: ChatAlertOptions): CanaryAlert {
    return new CanaryAlert(options.name ?? type, options.severity ?? AlertSeverity.INFO, {
      providerType: type,
      secretName: options.secretName,
      secretKey: options.secretKey,
      channel: options.channel,
      username: options.username,
    });
  }

  /** Name of the alert. */
  public readonly name: string;
  /** Which events it reports. */
  public readonly severity: AlertSeverity;
  /** The chat service, when a provider is to be created. */
  public readonly providerType?: AlertProviderType;
  /** Secret holding the webhook address, when a provider is to be created. */
  public readonly secretName?: string;
  /**
   * The key of the Secret that holds the webhook address.
   *
   * @default 'address'
   */
  public readonly secretKey?: string;
  /** Channel, when a provider is to be created. */
  public readonly channel?: string;
  /** User name, when a provider is to be created. */
  public readonly username?: string;
  /** Name of an existing provider. */
  public readonly providerName?: string;
  /** Namespace of an existing provider. */
  public readonly providerNamespace?: string;

  private constructor(name: string, severity: AlertSeverity, target: AlertTarget) {
    this.name = name;
    this.severity = severity;
    this.providerType = target.providerType;
    this.secretName = target.secretName;
    this.secretKey = target.secretKey;
    this.channel = target.channel;
    this.username = target.username;
    this.providerName = target.providerName;
    this.providerNamespace = target.providerNamespace;
  }
}

interface AlertTarget {
  readonly providerType?: AlertProviderType;
  readonly secretName?: string;
  readonly secretKey?: string;
  readonly channel?: string;
  readonly username?: string;
  readonly providerName?: string;
  readonly providerNamespace?: string;
}
