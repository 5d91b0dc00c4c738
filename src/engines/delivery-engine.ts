import { ArgoRolloutsEngine, ArgoRolloutsEngineOptions } from './argo-rollouts/argo-rollouts-engine';
import { IDeliveryEngine } from './engine';
import { FlaggerEngine, FlaggerEngineOptions } from './flagger/flagger-engine';
import { checkArguments } from '../arguments/check-arguments';

/** The delivery engines this library ships. */
export class DeliveryEngine {
  /** Flagger (`flagger.app/v1beta1` Canary). */
  public static flagger(options: FlaggerEngineOptions = {}): IDeliveryEngine {
    checkArguments('DeliveryEngine.flagger', [options]);
    return new FlaggerEngine(options);
  }

  /** Argo Rollouts (`argoproj.io/v1alpha1` Rollout, AnalysisTemplate). */
  public static argoRollouts(options: ArgoRolloutsEngineOptions = {}): IDeliveryEngine {
    checkArguments('DeliveryEngine.argoRollouts', [options]);
    return new ArgoRolloutsEngine(options);
  }

  private constructor() {}
}
