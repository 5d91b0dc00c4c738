import { FakeApiServer } from './fake-api-server';
import { FakeLoadTester } from './fake-loadtester';

/** The API path of a Canary. */
export const canaryPath = (namespace: string, name: string) => `/apis/flagger.app/v1beta1/namespaces/${namespace}/canaries/${name}`;

/**
 * Flagger's scheduler reduced to what gates decide (flagger v1.44.0 pkg/controller/scheduler.go,
 * scheduler_hooks.go, webhook.go), one `tick()` per analysis interval, asking the loadtester's
 * gates by POSTing the webhook payload the way CallWebhook does (a status above 202 is a refusal):
 * - a new revision in Succeeded/Failed/Initialized: confirm-rollout hooks; refused: phase Waiting;
 *   passed: Progressing, weight 0, lastAppliedSpec = the revision (SyncStatus);
 * - Progressing, Waiting, WaitingPromotion: rollback hooks first; one passing: Failed, weight 0;
 * - Progressing below maxWeight: confirm-traffic-increase hooks hold the weight, else weight +=
 *   stepWeight; at maxWeight: confirm-promotion hooks; refused: WaitingPromotion; passed: Promoting;
 * - Promoting: Finalising; Finalising: Succeeded (lastPromotedSpec = lastAppliedSpec).
 * Metrics always pass; failed checks stay 0.
 */
export class FakeFlagger {
  public readonly path: string;
  private pendingRevision?: string;
  public ticks = 0;
  /** Ticks to do nothing (a controller that is slow, or stuck). */
  public stalled = 0;

  constructor(
    private readonly api: FakeApiServer, private readonly loadtester: FakeLoadTester, public readonly namespace: string, public readonly name: string,
    private readonly webhooks: { name: string; type: string; url: string }[], private readonly stepWeight = 10, private readonly maxWeight = 30) {
    this.path = canaryPath(namespace, name);
    api.put(this.path, {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name, namespace },
      spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, analysis: { interval: '1m', threshold: 5, stepWeight, maxWeight, webhooks } },
      status: { phase: 'Succeeded', canaryWeight: 0, failedChecks: 0, iterations: 0, lastAppliedSpec: 'rev1', lastPromotedSpec: 'rev1' },
    });
  }

  public get status(): any {
    return this.api.objects.get(this.path).status;
  }

  /** A new image is committed: the next tick starts a release of `revision`. */
  public deploy(revision: string): void {
    this.pendingRevision = revision;
  }

  /** Sets the status (a test's starting point). */
  public set(status: object): void {
    const object = this.api.objects.get(this.path);
    this.api.put(this.path, { ...object, status: { ...object.status, ...status } });
  }

  public tick(): void {
    this.ticks++;
    if (this.stalled > 0) {
      this.stalled--;
      return;
    }
    const status = this.status;
    const phase = status.phase;
    if (this.pendingRevision && ['Succeeded', 'Failed', 'Initialized', 'Waiting'].includes(phase)) {
      if (!this.passes('confirm-rollout', phase)) {
        this.set({ phase: 'Waiting' });
        return;
      }
      this.set({ phase: 'Progressing', canaryWeight: 0, failedChecks: 0, iterations: 0, lastAppliedSpec: this.pendingRevision });
      this.pendingRevision = undefined;
      return;
    }
    if (['Progressing', 'Waiting', 'WaitingPromotion'].includes(phase) && this.rollbackPasses(phase)) {
      this.set({ phase: 'Failed', canaryWeight: 0 });
      return;
    }
    if (phase === 'Promoting') return this.set({ phase: 'Finalising', canaryWeight: 0 });
    if (phase === 'Finalising') return this.set({ phase: 'Succeeded', lastPromotedSpec: status.lastAppliedSpec });
    if (phase !== 'Progressing' && phase !== 'WaitingPromotion') return;
    if (status.canaryWeight < this.maxWeight) {
      if (phase === 'Progressing' && !this.passes('confirm-traffic-increase', 'Progressing')) return;
      this.set({ canaryWeight: status.canaryWeight + this.stepWeight });
      return;
    }
    if (!this.passes('confirm-promotion', 'Progressing')) {
      this.set({ phase: 'WaitingPromotion' });
      return;
    }
    this.set({ phase: 'Promoting' });
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
