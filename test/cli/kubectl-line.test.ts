import { execFileSync } from 'child_process';
import { kubectlLine } from '../../src/cli/release/context';

/*
 * The commands --dry-run prints are quoted by the library's one quoting function
 * (analysis/shell.ts): pasted into bash, each argument stays one word, braces included.
 */
describe('kubectlLine', () => {
  test('a word with braces is quoted, so bash does not expand it', () => {
    const line = kubectlLine(['--context', 'kind-{a,b}', '-n', 'shop', 'get', 'canary', 'web']);
    expect(line).toBe("kubectl --context 'kind-{a,b}' -n shop get canary web");
    // bash with a kubectl that prints each argument on a line of its own.
    const argv = execFileSync('bash', ['-c', `kubectl() { printf '%s\\n' "$@"; }; ${line}`], { encoding: 'utf8' });
    expect(argv.split('\n')).toEqual(['--context', 'kind-{a,b}', '-n', 'shop', 'get', 'canary', 'web', '']);
  });

  test('an unquoted brace list would have become two words', () => {
    const argv = execFileSync('bash', ['-c', "printf '%s\\n' kind-{a,b}"], { encoding: 'utf8' });
    expect(argv).toBe('kind-a\nkind-b\n');
  });

  test('quotes inside a word, and plain words as they are', () => {
    expect(kubectlLine(['-p', "{\"a\":\"it's\"}", 'deploy/flagger-loadtester', '--type=merge']))
      .toBe("kubectl -p '{\"a\":\"it'\\''s\"}' deploy/flagger-loadtester --type=merge");
  });
});
