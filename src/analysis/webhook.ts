import { Duration } from 'cdk8s';
import { LoadGeneration, LoadTestOptions, LoadTool } from './load-test';
import { checkArguments } from '../arguments/check-arguments';

/** When in the rollout a webhook is called (Flagger's webhook types). */
export enum WebhookType {
  /** Before the canary is scaled up; a failure keeps the rollout waiting. */
  CONFIRM_ROLLOUT = 'confirm-rollout',
  /** Before traffic is routed to the canary; a failure counts as a failed check. */
  PRE_ROLLOUT = 'pre-rollout',
  /** At every analysis interval; a failure counts as a failed check. */
  ROLLOUT = 'rollout',
  /** Before each traffic increase; a failure keeps the weight where it is. */
  CONFIRM_TRAFFIC_INCREASE = 'confirm-traffic-increase',
  /** Before the canary is promoted; a failure keeps the rollout waiting. */
  CONFIRM_PROMOTION = 'confirm-promotion',
  /** After promotion or rollback. */
  POST_ROLLOUT = 'post-rollout',
  /** At every interval; a 2xx answer rolls the canary back. */
  ROLLBACK = 'rollback',
  /** On every rollout event. */
  EVENT = 'event',
}

/** The stages a manual gate can hold. */
export enum GateStage {
  /** Hold before the canary is scaled up. */
  CONFIRM_ROLLOUT = 'CONFIRM_ROLLOUT',
  /** Hold before every traffic increase. */
  CONFIRM_TRAFFIC_INCREASE = 'CONFIRM_TRAFFIC_INCREASE',
  /** Hold before promotion. */
  CONFIRM_PROMOTION = 'CONFIRM_PROMOTION',
}

/** How the loadtester runs a command. */
export enum LoadTesterCommandType {
  /** Started in the background; the webhook answers at once (load generators). */
  CMD = 'cmd',
  /** Run with bash and waited for; its exit code is the webhook's answer (tests). */
  BASH = 'bash',
}

/** Options for a loadtester command. */
export interface LoadTesterCommandOptions {
  /** The command the loadtester runs. */
  readonly command: string;
  /**
   * Name of the webhook, unique within the analysis.
   *
   * @default - 'acceptance-test' or 'load-test'
   */
  readonly name?: string;
  /**
   * How long Flagger waits for the loadtester's answer.
   *
   * @default - 30 seconds for an acceptance test, 5 seconds for a load test
   */
  readonly timeout?: Duration;
}

/** Options for `CanaryWebhook.manualGate()`. */
export interface ManualGateOptions {
  /** Which stage the gate holds. */
  readonly stage: GateStage;
  /**
   * Name of the webhook.
   *
   * @default - 'confirm-rollout-gate', 'confirm-traffic-increase-gate' or 'confirm-promotion-gate'
   */
  readonly name?: string;
}

/** Options for `CanaryWebhook.rollbackGate()`. */
export interface RollbackGateOptions {
  /**
   * Name of the webhook.
   *
   * @default 'rollback-gate'
   */
  readonly name?: string;
}

/** Options for `CanaryWebhook.http()`. */
export interface HttpWebhookOptions {
  /** Name of the webhook, unique within the analysis. */
  readonly name: string;
  /** When it is called. */
  readonly type: WebhookType;
  /** The URL Flagger posts to. */
  readonly url: string;
  /**
   * How long Flagger waits for an answer.
   *
   * @default - Flagger's default: 10 seconds
   */
  readonly timeout?: Duration;
  /**
   * Key/value pairs sent in the payload's `metadata`.
   *
   * @default - none
   */
  readonly metadata?: { [key: string]: string };
  /**
   * Do not send alerts while this webhook fails.
   *
   * @default false
   */
  readonly muteAlert?: boolean;
  /**
   * How often to retry a failed call.
   *
   * @default - no retries
   */
  readonly retries?: number;
}

/**
 * A call out of the rollout: a test or load the loadtester runs, a manual gate, or an HTTP hook of
 * your own. Engine-neutral: each engine renders it.
 */
export class CanaryWebhook {
  /** A test run with bash before traffic reaches the canary; a non-zero exit fails the check. */
  public static acceptanceTest(options: LoadTesterCommandOptions): CanaryWebhook {
    checkArguments('CanaryWebhook.acceptanceTest', [options]);
    return CanaryWebhook.loadTesterCommand(WebhookType.PRE_ROLLOUT, LoadTesterCommandType.BASH, 'acceptance-test', Duration.seconds(30), options);
  }

  /**
   * Traffic generated throughout the analysis, so the metrics have requests to measure. Without
   * `command`, the command is built for the router in use: through the ingress controller with a
   * routed host for an ingress router (Traefik), to the canary Service for a mesh (Istio).
   */
  public static loadTest(options: LoadTestOptions = {}): CanaryWebhook {
    checkArguments('CanaryWebhook.loadTest', [options]);
    const typed = (['requestsPerSecond', 'concurrency', 'duration', 'path', 'tool', 'grpcCall'] as const)
      .filter((key) => options[key] !== undefined);
    if (options.command !== undefined) {
      return new CanaryWebhook(options.name ?? 'load-test', WebhookType.ROLLOUT, {
        loadTesterPath: '',
        timeout: options.timeout ?? Duration.seconds(5),
        metadata: { type: LoadTesterCommandType.CMD, cmd: options.command },
        command: options.command,
        commandType: LoadTesterCommandType.CMD,
        conflictingOptions: typed,
      });
    }
    return new CanaryWebhook(options.name ?? 'load-test', WebhookType.ROLLOUT, {
      loadTesterPath: '',
      timeout: options.timeout ?? Duration.seconds(5),
      commandType: LoadTesterCommandType.CMD,
      load: {
        requestsPerSecond: options.requestsPerSecond ?? 10,
        concurrency: options.concurrency ?? 2,
        duration: options.duration,
        path: options.path ?? '/',
        tool: options.tool ?? LoadTool.HEY,
        grpcCall: options.grpcCall,
      },
    });
  }

  /**
   * A gate in the loadtester that holds the rollout at `stage` until someone opens it
   * (`POST /gate/open` on the loadtester with `{"name": "<service>", "namespace": "<ns>"}`).
   */
  public static manualGate(options: ManualGateOptions): CanaryWebhook {
    checkArguments('CanaryWebhook.manualGate', [options]);
    const type = {
      [GateStage.CONFIRM_ROLLOUT]: WebhookType.CONFIRM_ROLLOUT,
      [GateStage.CONFIRM_TRAFFIC_INCREASE]: WebhookType.CONFIRM_TRAFFIC_INCREASE,
      [GateStage.CONFIRM_PROMOTION]: WebhookType.CONFIRM_PROMOTION,
    }[options.stage];
    return new CanaryWebhook(options.name ?? `${type}-gate`, type, { loadTesterPath: 'gate/check' });
  }

  /**
   * A switch in the loadtester that rolls the canary back when someone opens it
   * (`POST /rollback/open` on the loadtester).
   */
  public static rollbackGate(options: RollbackGateOptions = {}): CanaryWebhook {
    checkArguments('CanaryWebhook.rollbackGate', [options]);
    return new CanaryWebhook(options.name ?? 'rollback-gate', WebhookType.ROLLBACK, { loadTesterPath: 'rollback/check' });
  }

  /** An HTTP hook of your own. */
  public static http(options: HttpWebhookOptions): CanaryWebhook {
    checkArguments('CanaryWebhook.http', [options]);
    return new CanaryWebhook(options.name, options.type, {
      url: options.url,
      timeout: options.timeout,
      metadata: options.metadata,
      muteAlert: options.muteAlert,
      retries: options.retries,
    });
  }

  private static loadTesterCommand(
    type: WebhookType, commandType: LoadTesterCommandType, defaultName: string, defaultTimeout: Duration,
    options: LoadTesterCommandOptions,
  ): CanaryWebhook {
    return new CanaryWebhook(options.name ?? defaultName, type, {
      loadTesterPath: '',
      timeout: options.timeout ?? defaultTimeout,
      metadata: { type: commandType, cmd: options.command },
      command: options.command,
      commandType,
    });
  }

  /** Name of the webhook. */
  public readonly name: string;
  /** When it is called. */
  public readonly type: WebhookType;
  /** The URL it calls, when it is not the loadtester. */
  public readonly url?: string;
  /** The loadtester path it calls (empty for the command endpoint), when it calls the loadtester. */
  public readonly loadTesterPath?: string;
  /** How long to wait for an answer. */
  public readonly timeout?: Duration;
  /** Payload metadata. */
  public readonly metadata?: { [key: string]: string };
  /** Whether alerts are muted while it fails. */
  public readonly muteAlert?: boolean;
  /** How often a failed call is retried. */
  public readonly retries?: number;
  /** The command, for loadtester commands given as a command. */
  public readonly command?: string;
  /** What a typed load test generates; the engine builds its command for the router. */
  public readonly load?: LoadGeneration;
  /**
   * Typed load options given together with `command` (rejected when the analysis is checked).
   *
   * @internal
   */
  public readonly _conflictingOptions: string[];
  /** How the loadtester runs the command. */
  public readonly commandType?: LoadTesterCommandType;

  private constructor(name: string, type: WebhookType, details: WebhookDetails) {
    this.name = name;
    this.type = type;
    this.url = details.url;
    this.loadTesterPath = details.loadTesterPath;
    this.timeout = details.timeout;
    this.metadata = details.metadata;
    this.muteAlert = details.muteAlert;
    this.retries = details.retries;
    this.command = details.command;
    this.commandType = details.commandType;
    this.load = details.load;
    this._conflictingOptions = details.conflictingOptions ?? [];
  }

  /** Whether this webhook is served by the loadtester. */
  public get usesLoadTester(): boolean {
    return this.loadTesterPath !== undefined;
  }
}

interface WebhookDetails {
  readonly url?: string;
  readonly loadTesterPath?: string;
  readonly timeout?: Duration;
  readonly metadata?: { [key: string]: string };
  readonly muteAlert?: boolean;
  readonly retries?: number;
  readonly command?: string;
  readonly commandType?: LoadTesterCommandType;
  readonly load?: LoadGeneration;
  readonly conflictingOptions?: string[];
}
