/**
 * Rewrites the rehearsal reports the README shows (`<!-- rehearse: <arguments> -->` followed by a
 * text block) with what `cdk8s-canary rehearse <arguments>` prints now (the same seeds give the same
 * report). test/rehearsal/rehearse-command.test.ts fails when they differ.
 */
import * as fs from 'fs';
import * as path from 'path';
import { mainAsync } from '../src/cli/main';

const BLOCK = /<!-- rehearse: ([^>]+) -->\n```text\n[\s\S]*?```/g;

async function rewrite(): Promise<void> {
  const readmeFile = path.resolve(__dirname, '..', 'README.md');
  let readme = fs.readFileSync(readmeFile, 'utf-8');
  for (const [block, args] of [...readme.matchAll(BLOCK)]) {
    let out = '';
    await mainAsync(['rehearse', ...args.trim().split(/\s+/)], (text) => { out += text; });
    readme = readme.replace(block, `<!-- rehearse: ${args.trim()} -->\n\`\`\`text\n${out}\`\`\``);
  }
  fs.writeFileSync(readmeFile, readme);
}

void rewrite();
