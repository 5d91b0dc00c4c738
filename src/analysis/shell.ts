/**
 * The one place where values become shell words. Every value the library writes into a command a
 * shell runs (the loadtester's `cmd`, which it starts with `sh -c`; an Argo Rollouts analysis Job's
 * `/bin/sh -c`) goes through `shellWord`, so no value can end a word, start a command or expand.
 */

// Characters no POSIX shell treats specially anywhere in a word (as Python's shlex.quote).
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `text` as one shell word: as it is when it holds only characters no shell treats specially,
 * otherwise in single quotes, inside which nothing is special (a quote inside becomes `'\''`).
 */
export function shellWord(text: string): string {
  if (PLAIN_WORD.test(text)) return text;
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** A simple command: each of `words` a shell word of its own, separated by spaces. */
export function shellCommand(words: string[]): string {
  return words.map(shellWord).join(' ');
}

/**
 * URL path characters with no meaning to a shell: letters, digits and `-._~%/:@+,=` (RFC 3986's
 * unreserved and percent-encoded characters, and the separators that need no quoting). A path has
 * no reason to hold `;`, `$`, `(`, `)`, `|`, `&`, quotes, backquotes, spaces or newlines.
 */
export const PLAIN_PATH = /^\/[A-Za-z0-9._~%/:@+,=-]*$/;

/** What `PLAIN_PATH` allows, for messages. */
export const PLAIN_PATH_CHARACTERS = 'letters, digits and -._~%/:@+,=';
