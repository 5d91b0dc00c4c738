import { Duration } from 'cdk8s';

/** `90s` as `1m30s`, `3600s` as `1h`. */
export function formatDuration(duration: Duration): string {
  let seconds = Math.round(duration.toSeconds());
  if (seconds === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  return parts.join('');
}
