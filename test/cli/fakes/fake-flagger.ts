import { FakeApiServer } from './fake-api-server';
import { FakeLoadTester } from './fake-loadtester';

/** The API path of a Canary. */
export const canaryPath = (namespace: string, name: string) => `/apis/flagger.app/v1beta1/namespaces/${namespace}/canaries/${name}`;

const ADVANCING = ['Progressing', 'Waiting', 'WaitingPromotion', 'Promoting', 'Finalising'];

/**
 * Flagger's scheduler reduced to what gates decide, step for step as flagger v1.44.0 runs it
 * (pkg/controller/scheduler.go advanceCanary, scheduler_hooks.go, pkg/canary/status.go,
 * spec.go, config_tracker.go), one `tick()` per analysis interval. Hooks are asked by POSTing the
 * webhook payload to the loadtester the way CallWebhook does (a status above 202 is a refusal).
 * The Deployment's pod template is a revision name (`target`, what ComputeHash gives), its
 * ConfigMaps and Secrets a map of checksums (`configs`); the router's weight (`routedWeight`,
 * meshRouter.GetRoutes) is kept apart from `status.canaryWeight`, which setStatusPhase resets.
 * - shouldAdvance: phases Progressing, Waiting, WaitingPromotion, Promoting, Finalising advance;
 *   Failed first syncs the status (lastAppliedSpec := the target); others advance when the target
 *   changed (hasSpecChanged: not when it is the promoted one) or the configs did;
 * - checkCanaryStatus: any phase but Progressing, WaitingPromotion, Promoting, Finalising asks the
 *   confirm-rollout hooks and returns: refused, phase Waiting (setStatusPhase); passed, SyncStatus
 *   {Progressing} (weight, checks, iterations 0; lastAppliedSpec and trackedConfigs of the target).
 *   So in Waiting no rollback hook is ever asked;
 * - hasCanaryRevisionChanged, in Progressing and WaitingPromotion: a changed target or config
 *   routes everything back to the primary and SyncStatus {Progressing}: the analysis restarts;
 * - rollback hooks in Progressing and WaitingPromotion: one passing rolls back, SyncStatus
 *   {Failed, weight 0};
 * - Promoting: routes to the primary, setStatusPhase(Finalising); Finalising: setStatusPhase(Succeeded);
 * - Progressing: confirm-traffic-increase hooks (at every weight, the maximum too); then below the
 *   maximum weight the router takes a step and SetStatusWeight; at it, confirm-promotion hooks:
 *   refused, setStatusPhase(WaitingPromotion) (weight 0 in the status, iterations =
 *   analysis.iterations - 1; the router keeps the maximum), again in WaitingPromotion only
 *   SetStatusIterations; passed, setStatusPhase(Promoting) (the status weight kept).
 * Metrics always pass; failed checks stay 0.
 */
export class FakeFlagger {
  public readonly path: string;
  /** The Deployment's pod template, by a revision name. */
  public target = 'rev1';
  /** The checksums of the ConfigMaps and Secrets the Deployment uses (`configmap/<name>`). */
  public configs: { [ref: string]: string } = {};
  /** The canary's weight in the router. */
  public routedWeight = 0;
  public ticks = 0;
  /** Ticks to do nothing (a controller that is slow, or stuck). */
  public stalled = 0;

  constructor(
    private readonly api: FakeApiServer, private readonly loadtester: FakeLoadTester, public readonly namespace: string, public readonly name: string,
    private readonly webhooks: { name: string; type: string; url: string }[], private readonly stepWeight = 10, private readonly maxWeight = 30,
    interval = '1m') {
    this.path = canaryPath(namespace, name);
    api.put(this.path, {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name, namespace },
      spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, analysis: { interval, threshold: 5, stepWeight, maxWeight, webhooks } },
      status: { phase: 'Succeeded', canaryWeight: 0, failedChecks: 0, iterations: 0, lastAppliedSpec: 'rev1', lastPromotedSpec: 'rev1', trackedConfigs: {} },
    });
  }

  public get status(): any {
    return this.api.objects.get(this.path).status;
  }

  /** A new pod template is committed: Flagger sees it at its next tick. */
  public deploy(revision: string): void {
    this.target = revision;
  }

  /** A ConfigMap or Secret the Deployment uses changes (its checksum). */
  public changeConfig(ref: string, checksum: string): void {
    this.configs = { ...this.configs, [ref]: checksum };
  }

  /**
   * Sets the status (a test's starting point). The Deployment runs the revision under analysis
   * (`lastAppliedSpec`) with its configs (`trackedConfigs`), and the router carries the status's
   * weight, or in WaitingPromotion the maximum.
   */
  public set(status: { [field: string]: any }): void {
    this.write(status);
    if (status.lastAppliedSpec !== undefined) this.target = status.lastAppliedSpec;
    if (status.trackedConfigs !== undefined) this.configs = { ...status.trackedConfigs };
    if (this.status.phase === 'WaitingPromotion') this.routedWeight = this.maxWeight;
    else if (status.canaryWeight !== undefined) this.routedWeight = status.canaryWeight;
  }

  public tick(): void {
    this.ticks++;
    if (this.stalled > 0) {
      this.stalled--;
      return;
    }
    const seen = this.status;
    const phase = seen.phase;
    if (!ADVANCING.includes(phase)) {
      if (phase === 'Failed') this.syncStatus({ ...seen });
      if (!this.targetChanged(seen) && !this.configsChanged(seen)) return;
    }
    if (!['Progressing', 'WaitingPromotion', 'Promoting', 'Finalising'].includes(phase)) {
      const current = this.status;
      if (!this.passes('confirm-rollout', current.phase)) {
        if (current.phase !== 'Waiting') this.setStatusPhase('Waiting');
        return;
      }
      this.syncStatus({ phase: 'Progressing' });
      return;
    }
    if ((phase === 'Progressing' || phase === 'WaitingPromotion') && (this.targetChanged(seen) || this.configsChanged(seen))) {
      this.routedWeight = 0;
      this.syncStatus({ phase: 'Progressing' });
      return;
    }
    if ((phase === 'Progressing' || phase === 'WaitingPromotion') && this.rollbackPasses(phase)) {
      this.routedWeight = 0;
      this.syncStatus({ phase: 'Failed', canaryWeight: 0 });
      return;
    }
    if (phase === 'Promoting') {
      this.routedWeight = 0;
      this.setStatusPhase('Finalising');
      return;
    }
    if (phase === 'Finalising') {
      this.setStatusPhase('Succeeded');
      return;
    }
    if (phase === 'Progressing' && !this.passes('confirm-traffic-increase', 'Progressing')) return;
    if (this.routedWeight < this.maxWeight) {
      this.routedWeight = Math.min(this.routedWeight + this.stepWeight, 100);
      this.write({ canaryWeight: this.routedWeight });
      return;
    }
    if (!this.passes('confirm-promotion', 'Progressing')) {
      if (phase !== 'WaitingPromotion') this.setStatusPhase('WaitingPromotion');
      else this.write({ iterations: this.analysisIterations() - 1 });
      return;
    }
    this.setStatusPhase('Promoting');
  }

  private analysisIterations(): number {
    return this.api.objects.get(this.path).spec.analysis.iterations ?? 0;
  }

  private write(fields: object): void {
    const object = this.api.objects.get(this.path);
    this.api.put(this.path, { ...object, status: { ...object.status, ...fields } });
  }

  /** syncCanaryStatus: the given phase and counters (zero when not given), the target's hash and configs. */
  private syncStatus(status: { phase: string; canaryWeight?: number; failedChecks?: number; iterations?: number }): void {
    this.write({
      phase: status.phase,
      canaryWeight: status.canaryWeight ?? 0,
      failedChecks: status.failedChecks ?? 0,
      iterations: status.iterations ?? 0,
      lastAppliedSpec: this.target,
      trackedConfigs: { ...this.configs },
      ...(status.phase === 'Initialized' ? { lastPromotedSpec: this.target } : {}),
    });
  }

  /** setStatusPhase (pkg/canary/status.go). */
  private setStatusPhase(phase: string): void {
    const fields: { [field: string]: any } = { phase };
    if (!['Progressing', 'Waiting', 'Promoting'].includes(phase)) {
      fields.canaryWeight = 0;
      fields.iterations = phase === 'WaitingPromotion' ? this.analysisIterations() - 1 : 0;
    }
    if (phase === 'Initialized' || phase === 'Succeeded') fields.lastPromotedSpec = this.status.lastAppliedSpec;
    this.write(fields);
  }

  /** hasSpecChanged: no applied spec yet, or a target other than the applied one that is not the promoted one. */
  private targetChanged(status: any): boolean {
    if (!status.lastAppliedSpec) return true;
    if (this.target === status.lastPromotedSpec) return false;
    return this.target !== status.lastAppliedSpec;
  }

  /** ConfigTracker.HasConfigChanged. */
  private configsChanged(status: any): boolean {
    const refs = Object.keys(this.configs);
    const tracked = status.trackedConfigs;
    if (refs.length === 0 && tracked == null) return false;
    if (refs.length > 0 && tracked == null) return true;
    if (refs.length !== Object.keys(tracked).length) return true;
    return refs.some((ref) => tracked[ref] !== this.configs[ref]);
  }

  /** Every hook of this type passes (scheduler_hooks.go: the first refusal holds). */
  private passes(type: string, phase: string): boolean {
    return this.webhooks.filter((w) => w.type === type).every((w) => this.call(w, phase) <= 202);
  }

  /** runRollbackHooks: any rollback hook answering 2xx rolls back. */
  private rollbackPasses(phase: string): boolean {
    return this.webhooks.filter((w) => w.type === 'rollback').some((w) => this.call(w, phase) <= 202);
  }

  private call(webhook: { url: string }, phase: string): number {
    const url = new URL(webhook.url);
    if (url.hostname !== `flagger-loadtester.${this.namespace}`) return 500;
    const payload = JSON.stringify({ name: this.name, namespace: this.namespace, phase, checksum: this.status.lastAppliedSpec });
    return this.loadtester.handle('POST', url.pathname, payload).status;
  }
}
