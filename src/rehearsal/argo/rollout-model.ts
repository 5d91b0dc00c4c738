import { AnalysisRunModel, Argument } from './analysis-run';
import { parseGoDuration } from '../../analysis/load-command';
import { replicaSplit, surgeCount } from '../../plan/replica-split';
import { ControllerEnv, ControllerModel, RunOutcome } from '../controller';
import { Release, findAnalysisTemplate } from '../objects/releases';
import { NEW_HASH, OLD_HASH } from '../traffic/topology';

const seconds = (value: unknown): number => (value === undefined || value === null ? 0 : typeof value === 'number' ? value : parseGoDuration(String(value)) ?? 0);

/**
 * Argo Rollouts 1.9.1 running one Rollout. Each transition, with where argoproj/argo-rollouts v1.9.1
 * makes it (file:line):
 * - canary steps in order (rollout/canary.go:307 completedCurrentCanaryStep): a setWeight or
 *   setCanaryScale step completes once the canary pods it asks for are available (:318-325,
 *   utils/replicaset/canary.go:59 AtDesiredReplicaCountsForCanary), and no weight goes to a canary
 *   without an available pod, the previous setWeight while it is below its desired count
 *   (rollout/trafficrouting.go:222-233, :249-258); the pods of a
 *   weight: with a router ceil(weight x replicas) (utils/replicaset/canary.go:371, :417), without
 *   one the weight is a share of the pods within maxSurge (:124 CalculateReplicaCountsForBasicCanary);
 *   a timed pause after its duration, `pause: {}` when a person promotes (rollout/pause.go:172);
 *   an analysis step when its run is Successful (canary.go:330; rollout/analysis.go:404);
 *   setHeaderRoute and setMirrorRoute at once (canary.go:334-337). After the last step the new
 *   ReplicaSet becomes stable and the background run is terminated, which counts as successful.
 * - the background analysis starts once the step index reaches `startingStep`, never before and
 *   never once fully promoted (rollout/analysis.go:347, :355; utils/replicaset/canary.go:429
 *   BeforeStartingStep); it never holds the steps; Inconclusive pauses for a person (:374), Failed
 *   or Error aborts (:376); after a person promotes an inconclusive run a new one starts (:170
 *   needsNewAnalysisRun).
 * - arguments: the Rollout's override the templates' (utils/analysis/helpers.go:236 MergeArgs);
 *   `podTemplateHashValue` is the new (Latest) or stable ReplicaSet's hash
 *   (utils/analysis/factory.go:18).
 * - blue/green (rollout/bluegreen.go:19): the new ReplicaSet comes up behind the preview Service;
 *   once it is available the pre-promotion analysis runs (rollout/analysis.go:241); on success the
 *   active Service switches, at once with autoPromotionEnabled, after autoPromotionSeconds, or when a
 *   person promotes (bluegreen.go:132 reconcileBlueGreenPause); then the post-promotion analysis runs
 *   (analysis.go:316); a Failed or Error run aborts (analysis.go:149 setPauseOrAbortForBlueGreen).
 * - abort (rollout/pause.go:41 AddAbort): all traffic back to the stable version
 *   (trafficrouting.go:360), header and mirror routes removed. A canary that never becomes available
 *   leaves the Rollout Degraded past progressDeadlineSeconds, aborted only with
 *   `progressDeadlineAbort` (rollout/sync.go:684).
 * - a person's promote is what `kubectl argo rollouts promote` patches: the pause ends and the step
 *   index moves on (pkg/kubectl-argo-rollouts/cmd/promote/promote.go:142 getPatches).
 */
export class ArgoRolloutModel implements ControllerModel {
  public outcome?: RunOutcome;
  public endedAt?: number;
  public reason?: string;
  public firstFailureAt?: number;
  public promotedAt?: number;
  public readonly notes: string[] = [];
  /** Every AnalysisRun created, in order. */
  public readonly runs: AnalysisRunModel[] = [];

  private readonly spec: any;
  private readonly canary: any;
  private readonly blueGreen: any;
  private readonly steps: any[];
  private readonly replicas: number;
  private readonly trafficRouting: boolean;
  private stepIndex = 0;
  private stepStartedAt?: number;
  private stepRun?: AnalysisRunModel;
  private background?: AnalysisRunModel;
  private personSince?: number;
  private pausedFor?: string;
  private weight_ = 0;
  private canaryScale: { replicas?: number; weight?: number } | undefined;
  private headerRoutes: { name: string; match: any[] }[] = [];
  private mirrorPercent = 0;
  private scaledUpAt?: number;
  private desiredNewPods = 0;
  /** The new pods available, and the weight in force when they all were (trafficrouting.go:249-258). */
  private availableNewPods = 0;
  private availableWeight = 0;
  private phase: 'steps' | 'preview' | 'switched' = 'steps';
  private preRun?: AnalysisRunModel;
  private postRun?: AnalysisRunModel;
  private switchAt?: number;
  /** Blue/green: when the active Service switched to the new version. */
  public switchedAt?: number;
  /** A moment the model waits for besides its runs (a pause's end, pods becoming ready, a person). */
  private pendingAt?: number = 0;
  private degradedRecorded = false;

  constructor(private readonly release: Release) {
    this.spec = release.controllerObject.spec ?? {};
    this.canary = this.spec.strategy?.canary;
    this.blueGreen = this.spec.strategy?.blueGreen;
    this.steps = this.canary?.steps ?? [];
    this.replicas = this.spec.replicas ?? release.autoscaler?.spec?.minReplicas ?? 1;
    this.trafficRouting = this.canary?.trafficRouting !== undefined && Object.keys(this.canary.trafficRouting).some((k) => k !== 'managedRoutes');
    if (this.blueGreen) this.phase = 'preview';
  }

  public get weight(): number {
    if (this.blueGreen) return this.phase === 'switched' ? 100 : 0;
    return this.weight_;
  }

  /** The Prometheus queries any of the Rollout's runs can send, with the arguments they would get. */
  public queries(): string[] {
    const references = [
      this.canary?.analysis, ...this.steps.map((s) => s.analysis), this.blueGreen?.prePromotionAnalysis, this.blueGreen?.postPromotionAnalysis,
    ]
      .filter((r) => r !== undefined);
    return references.flatMap((reference) => this.createRun(reference, 'probe', 0)?.queries ?? []);
  }

  private createRun(reference: any, name: string, now: number): AnalysisRunModel | undefined {
    const templates = (reference.templates ?? []).map((ref: any) => {
      const template = findAnalysisTemplate(this.release.index, this.release.namespace, ref);
      return template ? { spec: template.spec, name: ref.templateName } : undefined;
    });
    if (templates.some((t: any) => t === undefined)) {
      this.noteOnce(`the analysis '${name}' names a template that is not in the manifests: the rehearsal skips it`);
      return undefined;
    }
    const hashes = { latestHash: NEW_HASH, stableHash: OLD_HASH };
    return new AnalysisRunModel(name, now, templates, (reference.args ?? []) as Argument[], hashes, reference.dryRun ?? []);
  }

  private noteOnce(note: string): void {
    if (!this.notes.includes(note)) this.notes.push(note);
  }

  public nextWakeUp(): number {
    const times: number[] = [];
    for (const run of [this.background, this.stepRun, this.preRun, this.postRun]) {
      const next = run?.nextReconcile();
      if (next !== undefined) times.push(next);
    }
    if (this.pendingAt !== undefined) times.push(this.pendingAt);
    return times.length > 0 ? Math.min(...times) : Infinity;
  }

  private wait(at: number | undefined): void {
    if (at === undefined) return;
    this.pendingAt = this.pendingAt === undefined ? at : Math.min(this.pendingAt, at);
  }

  private end(env: ControllerEnv, outcome: RunOutcome, reason: string): void {
    this.outcome = outcome;
    this.endedAt = env.now;
    this.reason = reason;
  }

  /** The new ReplicaSet's pods for a weight and the canary scale in force (utils/replicaset/canary.go). */
  private podsFor(weight: number): { newPods: number; stablePods: number } {
    if (!this.trafficRouting && !this.blueGreen) {
      const split = replicaSplit(this.replicas, weight, surgeCount(String(this.canary?.maxSurge ?? '25%'), this.replicas));
      return { newPods: split.canary, stablePods: split.stable };
    }
    const scale = this.canaryScale;
    const newPods = scale?.replicas ?? Math.ceil(((scale?.weight ?? weight) * this.replicas) / 100);
    return { newPods, stablePods: this.replicas };
  }

  /** Scales the new ReplicaSet and sets the routing; the weight reaches the canary only once its pods are available. */
  private apply(env: ControllerEnv): { ready: boolean; readyAt?: number } {
    const { newPods, stablePods } = this.podsFor(this.weight_);
    if (newPods > this.desiredNewPods || this.scaledUpAt === undefined) this.scaledUpAt = env.now;
    this.desiredNewPods = newPods;
    const readyAt = newPods === 0 ? env.now : env.readyAt(this.scaledUpAt);
    const ready = readyAt !== undefined && readyAt <= env.now + 1e-9;
    if (ready) {
      this.availableNewPods = newPods;
      this.availableWeight = this.weight_;
    }
    const available = ready ? newPods : Math.min(this.availableNewPods, newPods);
    // trafficrouting.go:222-233: no weight to a new ReplicaSet without an available pod; :249-258: while it
    // is below its desired count, the previous setWeight stays.
    const canaryWeight = !this.trafficRouting ? 0 : ready ? this.weight_ : available > 0 ? this.availableWeight : 0;
    env.route({
      newPods: available,
      stablePods,
      canaryWeight,
      headerRoutes: ready ? this.headerRoutes : [],
      mirrorPercent: ready ? this.mirrorPercent : 0,
    });
    return { ready, readyAt };
  }

  private abort(env: ControllerEnv, reason: string): void {
    for (const run of [this.background, this.stepRun, this.preRun, this.postRun]) if (run) run.terminate = true;
    this.weight_ = 0;
    this.headerRoutes = [];
    this.mirrorPercent = 0;
    env.route({ canaryWeight: 0, headerRoutes: [], mirrorPercent: 0, activeIsNew: false });
    this.firstFailureAt ??= env.now;
    this.end(env, 'rolled back', reason);
    env.record({ t: env.now, weight: 0, event: `aborted: ${reason}`, checks: [] });
  }

  private promoteFully(env: ControllerEnv): void {
    for (const run of [this.background, this.stepRun]) if (run) run.terminate = true;
    env.route({ stableIsNew: true, canaryWeight: 0, headerRoutes: [], mirrorPercent: 0, newPods: this.replicas, stablePods: 0, activeIsNew: true });
    this.promotedAt ??= env.now;
    this.end(env, 'promoted', 'every step completed: the new ReplicaSet is stable');
    env.record({ t: env.now, weight: 100, event: 'fully promoted', checks: [] });
  }

  /** Reconciles a run and records what it measured; returns its phase. */
  private async reconcileRun(env: ControllerEnv, run: AnalysisRunModel, label: string): Promise<string> {
    const before = run.log.length;
    await run.reconcile(env);
    // A failure terminates the run on the next reconcile, which follows at once.
    if (run.phase === 'Running' && run.log.slice(before).some((l) => l.verdict === 'fail' || l.verdict === 'error' || l.verdict === 'inconclusive')) {
      await run.reconcile(env);
    }
    const fresh = run.log.slice(before).filter((l) => l.t === env.now && l.verdict !== 'not run');
    if (fresh.length > 0) {
      env.record({ t: env.now, weight: this.visibleWeight(env), event: `${label} analysis measured (${run.phase})`, checks: fresh.map(({ t: _t, ...check }) => check) });
    }
    const failure = run.firstFailure();
    if (failure !== undefined) this.firstFailureAt = Math.min(this.firstFailureAt ?? Infinity, failure);
    run.notes.forEach((n) => this.noteOnce(n));
    return run.phase;
  }

  private visibleWeight(env: ControllerEnv): number {
    const r = env.routing;
    if (this.blueGreen) return r.activeIsNew ? 100 : 0;
    return r.newPods > 0 ? (this.trafficRouting ? r.canaryWeight : Math.round((100 * r.newPods) / Math.max(1, r.newPods + r.stablePods))) : 0;
  }

  public async act(env: ControllerEnv): Promise<void> {
    if (this.outcome) return;
    this.pendingAt = undefined;
    if (this.blueGreen) return this.actBlueGreen(env);
    for (let guard = 0; guard < 1000 && !this.outcome; guard++) {
      // reconcileBackgroundAnalysisRun: from startingStep on, not once fully promoted.
      const startingStep = this.canary?.analysis?.startingStep ?? 0;
      const backgroundDue = this.stepIndex >= startingStep && this.stepIndex < this.steps.length;
      if (this.canary?.analysis?.templates?.length && this.background === undefined && backgroundDue) {
        this.background = this.createRun(this.canary.analysis, 'background', env.now);
        if (this.background) {
          this.runs.push(this.background);
          env.record({ t: env.now, weight: this.visibleWeight(env), event: 'background analysis started', checks: [] });
        }
      }
      if (this.background && this.pausedFor !== 'inconclusive background analysis') {
        const phase = await this.reconcileRun(env, this.background, 'background');
        if (phase === 'Failed' || phase === 'Error') {
          this.abort(env, `background analysis ${phase}: ${this.background.message ?? ''}`.trim());
          return;
        }
        if (phase === 'Inconclusive' && this.pausedFor === undefined) {
          this.pause(env, 'inconclusive background analysis');
        }
      }
      if (this.pausedFor !== undefined) {
        const at = env.approvalAt(this.pausedFor, this.personSince!);
        if (at === undefined || at > env.now + 1e-9) {
          this.wait(at);
          return;
        }
        const reason = this.pausedFor;
        this.pausedFor = undefined;
        this.personSince = undefined;
        env.record({ t: env.now, weight: this.visibleWeight(env), event: `promoted by a person (${reason})`, checks: [] });
        // promote.go: a pause step or an inconclusive step analysis moves on to the next step; after an
        // inconclusive background run a new one starts (needsNewAnalysisRun).
        if (reason === 'inconclusive background analysis') this.background = undefined;
        else this.nextStep();
        continue;
      }
      if (this.stepIndex >= this.steps.length) {
        this.promoteFully(env);
        return;
      }
      const completed = await this.runStep(env, this.steps[this.stepIndex]);
      if (this.outcome) return;
      if (!completed) return;
      this.nextStep();
    }
  }

  private nextStep(): void {
    if (this.stepRun) this.stepRun.terminate = true;
    this.stepRun = undefined;
    this.stepIndex++;
    this.stepStartedAt = undefined;
  }

  private async runStep(env: ControllerEnv, step: any): Promise<boolean> {
    const first = this.stepStartedAt === undefined;
    this.stepStartedAt ??= env.now;
    const record = (event: string) => env.record({ t: env.now, weight: this.visibleWeight(env), event, checks: [] });
    if (step.setWeight !== undefined) {
      this.weight_ = step.setWeight;
      const { ready, readyAt } = this.apply(env);
      if (first) record(`step ${this.stepIndex}: setWeight ${this.weight_}`);
      if (!ready) return this.waitForPods(env, readyAt);
      return true;
    }
    if (step.setCanaryScale !== undefined) {
      const s = step.setCanaryScale;
      this.canaryScale = s.matchTrafficWeight ? undefined : { replicas: s.replicas, weight: s.weight };
      const { ready, readyAt } = this.apply(env);
      if (first) record(`step ${this.stepIndex}: setCanaryScale ${JSON.stringify(s)}`);
      if (!ready) return this.waitForPods(env, readyAt);
      return true;
    }
    if (step.pause !== undefined) {
      if (step.pause.duration === undefined) {
        this.pause(env, `pause at step ${this.stepIndex}`);
        return false;
      }
      const end = this.stepStartedAt + seconds(step.pause.duration);
      if (first) record(`step ${this.stepIndex}: pause ${step.pause.duration}`);
      if (env.now + 1e-9 >= end) return true;
      this.wait(end);
      return false;
    }
    if (step.analysis !== undefined) {
      if (this.stepRun === undefined) {
        this.stepRun = this.createRun(step.analysis, `step-${this.stepIndex}`, env.now);
        if (!this.stepRun) return true;
        this.runs.push(this.stepRun);
        record(`step ${this.stepIndex}: analysis ${(step.analysis.templates ?? []).map((t: any) => t.templateName).join(', ')}`);
      }
      const phase = await this.reconcileRun(env, this.stepRun, `step ${this.stepIndex}`);
      if (phase === 'Successful') return true;
      if (phase === 'Failed' || phase === 'Error') {
        this.abort(env, `step ${this.stepIndex} analysis ${phase}: ${this.stepRun.message ?? ''}`.trim());
        return false;
      }
      if (phase === 'Inconclusive') {
        this.pause(env, `inconclusive step ${this.stepIndex} analysis`);
        return false;
      }
      return false;
    }
    if (step.setHeaderRoute !== undefined) {
      const route = step.setHeaderRoute;
      this.headerRoutes = this.headerRoutes.filter((r) => r.name !== route.name);
      if (route.match) this.headerRoutes.push({ name: route.name, match: route.match });
      this.apply(env);
      record(`step ${this.stepIndex}: ${route.match ? 'set' : 'removed'} header route ${route.name}`);
      return true;
    }
    if (step.setMirrorRoute !== undefined) {
      const route = step.setMirrorRoute;
      this.mirrorPercent = route.match ? route.percentage ?? 100 : 0;
      this.apply(env);
      record(`step ${this.stepIndex}: ${route.match ? 'set' : 'removed'} mirror route ${route.name}`);
      return true;
    }
    this.noteOnce(`step ${this.stepIndex} (${Object.keys(step).join(', ')}) is outside what the rehearsal runs: it is taken as completed at once`);
    return true;
  }

  /** A pause a person ends (an indefinite pause step, an inconclusive analysis). */
  private pause(env: ControllerEnv, reason: string): void {
    this.pausedFor = reason;
    this.personSince = env.now;
    env.record({ t: env.now, weight: this.visibleWeight(env), event: `paused: ${reason}, waiting for a person to promote`, checks: [], gate: reason });
    this.wait(env.approvalAt(reason, env.now));
  }

  /** Canary pods that are not available hold the step; past progressDeadlineSeconds the Rollout is degraded (aborted only with progressDeadlineAbort). */
  private waitForPods(env: ControllerEnv, readyAt: number | undefined): boolean {
    const deadline = this.spec.progressDeadlineSeconds ?? 600;
    const since = this.scaledUpAt ?? env.now;
    if (readyAt === undefined) {
      if (this.spec.progressDeadlineAbort) {
        if (env.now >= since + deadline) {
          this.abort(env, `the canary pods did not become available within progressDeadlineSeconds (${deadline}s), and progressDeadlineAbort is set`);
          return false;
        }
        this.wait(since + deadline);
      } else if (env.now >= since + deadline && !this.degradedRecorded) {
        this.degradedRecorded = true;
        env.record({ t: env.now, weight: 0, event: `the canary pods are not available after progressDeadlineSeconds (${deadline}s): the Rollout is Degraded, not aborted (no progressDeadlineAbort)`, checks: [] });
        this.firstFailureAt ??= env.now;
      } else if (env.now < since + deadline) {
        this.wait(since + deadline);
      }
      return false;
    }
    this.wait(readyAt);
    return false;
  }

  private async actBlueGreen(env: ControllerEnv): Promise<void> {
    const bg = this.blueGreen;
    const record = (event: string) => env.record({ t: env.now, weight: this.visibleWeight(env), event, checks: [] });
    const previewPods = bg.previewReplicaCount ?? this.replicas;
    if (this.scaledUpAt === undefined) {
      this.scaledUpAt = env.now;
      record('new ReplicaSet scaled up behind the preview Service');
    }
    const readyAt = env.readyAt(this.scaledUpAt);
    const ready = readyAt !== undefined && readyAt <= env.now + 1e-9;
    env.route({ newPods: ready ? (this.phase === 'switched' ? this.replicas : previewPods) : 0, stablePods: this.replicas });
    if (!ready) {
      this.waitForPods(env, readyAt);
      return;
    }
    if (this.phase === 'preview') {
      if (bg.prePromotionAnalysis?.templates?.length && this.preRun === undefined) {
        this.preRun = this.createRun(bg.prePromotionAnalysis, 'pre-promotion', env.now);
        if (this.preRun) {
          this.runs.push(this.preRun);
          record('pre-promotion analysis started');
        }
      }
      if (this.preRun) {
        const phase = await this.reconcileRun(env, this.preRun, 'pre-promotion');
        if (phase === 'Failed' || phase === 'Error') {
          this.abort(env, `pre-promotion analysis ${phase}: ${this.preRun.message ?? ''}`.trim());
          return;
        }
        if (phase === 'Running' || phase === 'Pending') return;
        if (phase === 'Inconclusive' && this.pausedFor === undefined) {
          this.pausedFor = 'inconclusive pre-promotion analysis';
          this.personSince = env.now;
        }
      }
      if (bg.autoPromotionEnabled === false && this.pausedFor === undefined && this.personSince === undefined) {
        this.pausedFor = 'blue/green pause before the switch';
        this.personSince = env.now;
      }
      if (this.pausedFor !== undefined) {
        const at = env.approvalAt(this.pausedFor, this.personSince!);
        if (at === undefined || at > env.now + 1e-9) {
          if (this.personSince === env.now) record(`paused: ${this.pausedFor}, waiting for a person to promote`);
          this.wait(at);
          return;
        }
        const reason = this.pausedFor;
        this.pausedFor = undefined;
        if (reason === 'inconclusive pre-promotion analysis') {
          // promote clears the pause conditions but not controllerPause (promote.go:169); the Inconclusive run
          // needs a new one (analysis.go:185-189, :258-266), which holds the switch until Successful (pause.go:137-141).
          this.preRun = undefined;
          record('promoted by a person: a new pre-promotion analysis starts');
          return this.actBlueGreen(env);
        }
      }
      // autoPromotionSeconds counts only with autoPromotionEnabled; without it the person's promote switches (pause.go:154-169).
      if (bg.autoPromotionEnabled !== false && bg.autoPromotionSeconds && this.switchAt === undefined) {
        this.switchAt = env.now + seconds(bg.autoPromotionSeconds);
      }
      if (this.switchAt !== undefined && env.now + 1e-9 < this.switchAt) {
        this.wait(this.switchAt);
        return;
      }
      this.phase = 'switched';
      env.route({ activeIsNew: true, newPods: this.replicas });
      this.switchedAt ??= env.now;
      record('active Service switched to the new version');
    }
    if (bg.postPromotionAnalysis?.templates?.length && this.postRun === undefined) {
      this.postRun = this.createRun(bg.postPromotionAnalysis, 'post-promotion', env.now);
      if (this.postRun) {
        this.runs.push(this.postRun);
        record('post-promotion analysis started');
      }
    }
    if (this.postRun) {
      const phase = await this.reconcileRun(env, this.postRun, 'post-promotion');
      if (phase === 'Failed' || phase === 'Error') {
        this.abort(env, `post-promotion analysis ${phase}: ${this.postRun.message ?? ''}`.trim());
        return;
      }
      if (phase === 'Inconclusive') {
        // setPauseOrAbortForBlueGreen (analysis.go:112, :153-155) pauses on an Inconclusive post-promotion run, and
        // bluegreen.go:206-216 keeps the old ReplicaSet until a run is Successful: a person promotes, a new run starts.
        if (this.pausedFor === undefined) {
          this.pausedFor = 'inconclusive post-promotion analysis';
          this.personSince = env.now;
          record(`paused: ${this.pausedFor}, waiting for a person to promote`);
        }
        const at = env.approvalAt(this.pausedFor, this.personSince!);
        if (at === undefined || at > env.now + 1e-9) {
          this.wait(at);
          return;
        }
        this.pausedFor = undefined;
        this.postRun = undefined;
        record('promoted by a person: a new post-promotion analysis starts');
        return this.actBlueGreen(env);
      }
      if (phase !== 'Successful') return;
    }
    env.route({ stableIsNew: true, activeIsNew: true });
    // Promoted for good: after the post-promotion analysis nothing switches back.
    this.promotedAt ??= env.now;
    this.end(env, 'promoted', 'the new ReplicaSet is active and stable');
    record('promoted: the new version is stable');
  }
}
