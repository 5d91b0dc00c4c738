/**
 * Rewrites the rollout plans the README shows (`<!-- plan: <entry> -->` followed by a text block)
 * with what `cdk8s-canary plan <entry>` prints now. test/cli/plan-command.test.ts fails when they differ.
 */
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../src/cli/main';

const readmeFile = path.resolve(__dirname, '..', 'README.md');
const readme = fs.readFileSync(readmeFile, 'utf-8');
const updated = readme.replace(/<!-- plan: (\S+) -->\n```text\n[\s\S]*?```/g, (_, entry: string) => {
  let out = '';
  main(['plan', entry], (text) => { out += text; });
  return `<!-- plan: ${entry} -->\n\`\`\`text\n${out}\`\`\``;
});
fs.writeFileSync(readmeFile, updated);
