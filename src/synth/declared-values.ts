import { ValueOrigin } from './object-validity';
import { CanaryAlert } from '../analysis/alert';
import { CanaryMetric } from '../analysis/metric';
import { CanaryWebhook } from '../analysis/webhook';
import { ReleasePhase } from '../strategy/release-phase';

/** Value objects whose fields are named as the options that made them. */
const VALUE_CLASSES = [CanaryMetric, CanaryWebhook, CanaryAlert, ReleasePhase];

/**
 * Every string of a declaration with its property, e.g. `'analysis.alerts[0].name'`: where a value
 * of an emitted object came from. Constructs, engines, routers and strategies are not entered
 * (their fields are not the user's names for them).
 */
export function declaredValues(props: object): ValueOrigin[] {
  const found: ValueOrigin[] = [];
  const visit = (value: unknown, path: string, depth: number) => {
    if (typeof value === 'string') {
      found.push({ property: `'${path}'`, value });
      return;
    }
    if (value === null || typeof value !== 'object' || depth > 6) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}[${i}]`, depth + 1));
      return;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null && !VALUE_CLASSES.some((c) => value instanceof c)) return;
    for (const [key, item] of Object.entries(value)) {
      if (!key.startsWith('_')) visit(item, path ? `${path}.${key}` : key, depth + 1);
    }
  };
  visit(props, '', 0);
  return found;
}
