/** Renders Helm values as text for renderers that take them as a string (Terraform's `values`). */

/** The same value with every object's keys in sorted order, so that its JSON is deterministic. */
export function sortKeys(value: any): any {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]));
  }
  return value;
}

/**
 * Helm values as JSON (which Helm reads as YAML) with sorted keys and two-space indentation, so
 * that the same values always give the same text and `terraform plan` shows changes line by line.
 */
export function renderHelmValues(values: { [key: string]: any }): string {
  return `${JSON.stringify(sortKeys(values), undefined, 2)}\n`;
}
