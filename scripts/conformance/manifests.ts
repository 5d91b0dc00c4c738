import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';

/** The manifest files under a file or folder (*.yaml, *.yml, *.json; node_modules skipped), sorted. */
export function manifestFiles(p: string): string[] {
  if (fs.statSync(p).isFile()) return [p];
  return fs.readdirSync(p).sort().flatMap((entry) => {
    const full = path.join(p, entry);
    if (fs.statSync(full).isDirectory()) return entry === 'node_modules' ? [] : manifestFiles(full);
    return /\.(ya?ml|json)$/.test(entry) ? [full] : [];
  });
}

/** The documents of a manifest file: a JSON object or array, or a YAML stream (empty documents skipped). */
export function readManifests(file: string): unknown[] {
  const text = fs.readFileSync(file, 'utf-8');
  if (file.endsWith('.json')) {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value : [value];
  }
  return yaml.loadAll(text).filter((doc) => doc != null);
}
