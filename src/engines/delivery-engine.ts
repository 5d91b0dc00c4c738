import { IDeliveryEngine } from './engine';
import { FlaggerEngine, FlaggerEngineOptions } from './flagger/flagger-engine';

/** The delivery engines this library ships. */
export class DeliveryEngine {
  /** Flagger (`flagger.app/v1beta1` Canary). */
  public static flagger(options: FlaggerEngineOptions = {}): IDeliveryEngine {
    return new FlaggerEngine(options);
  }

  private constructor() {}
}
