import { ResolvedAnalysis } from '../../analysis/analysis';
import { RolloutStepKind } from '../../analysis/steps';
import { CanaryWebhook, GateStage } from '../../analysis/webhook';
import { fail } from '../../validation';

/**
 * Expresses an explicit rollout plan the way Flagger can: setWeight steps become `stepWeights`,
 * an indefinite pause becomes a manual gate (before promotion when it follows the last weight,
 * before traffic increases otherwise), and timed pauses must match the fixed analysis interval.
 * Anything else is rejected, since Flagger has no equivalent.
 */
export function toFlaggerAnalysis(owner: string, analysis: ResolvedAnalysis): ResolvedAnalysis {
  const steps = analysis.steps;
  if (steps === undefined) return analysis;
  const weights: number[] = [];
  const gates = new Set<GateStage>();
  const lastWeightIndex = steps.map((step) => step.kind).lastIndexOf(RolloutStepKind.SET_WEIGHT);
  steps.forEach((step, i) => {
    const property = `analysis.steps[${i}]`;
    switch (step.kind) {
      case RolloutStepKind.SET_WEIGHT:
        if (step.percentage! > 0) weights.push(step.percentage!);
        return;
      case RolloutStepKind.PAUSE:
        if (step.duration === undefined) {
          gates.add(i > lastWeightIndex ? GateStage.CONFIRM_PROMOTION : GateStage.CONFIRM_TRAFFIC_INCREASE);
        } else if (step.duration.toSeconds() !== analysis.interval.toSeconds()) {
          fail(owner, `'${property}' pauses ${step.duration.toHumanString()}, but Flagger advances at the fixed 'analysis.interval' (${analysis.interval.toHumanString()}): make them equal, or use Argo Rollouts`);
        }
        return;
      default:
        fail(owner, `'${property}' (${step.kind}) cannot be expressed with Flagger: it advances by 'stepWeights' at every interval and runs the analysis at every interval; use Argo Rollouts for this step`);
    }
  });
  if (weights.length === 0) {
    fail(owner, "'analysis.steps' set no weight above zero; Flagger needs at least one");
  }
  if (weights.some((weight, i) => i > 0 && weight <= weights[i - 1])) {
    fail(owner, `'analysis.steps' set the weights ${weights.join(', ')}; Flagger needs them strictly increasing`);
  }
  const existingGates = new Set(analysis.webhooks.map((webhook) => webhook.type as string));
  const gateWebhooks = [...gates]
    .map((stage) => CanaryWebhook.manualGate({ stage }))
    .filter((gate) => !existingGates.has(gate.type));
  return { ...analysis, steps: undefined, stepWeights: weights, webhooks: [...analysis.webhooks, ...gateWebhooks] };
}
