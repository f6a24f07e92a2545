// Writes the README's Quick start into a consumer app, exactly as the README shows it: policy/main.polar,
// src/app.module.ts, and quick-start.json with the answers its curl lines promise ([headers, path, status]).
// Usage: node quick-start.mjs <README.md> <app folder>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [readmeFile, appDir] = process.argv.slice(2);
const readme = readFileSync(readmeFile, 'utf8');
const start = readme.indexOf('## Quick start');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const block = (language, label) => {
  const found = new RegExp('```' + language + '\\n(' + label + '\\n[\\s\\S]*?)```').exec(section);
  if (!found) throw new Error(`The README's Quick start has no ${language} block that starts with "${label}"`);
  return found[1];
};
const write = (file, text) => {
  mkdirSync(dirname(join(appDir, file)), { recursive: true });
  writeFileSync(join(appDir, file), text);
};
write('policy/main.polar', block('polar', '# policy/main.polar'));
write('src/app.module.ts', block('ts', '// src/app.module.ts'));
const curls = [
  ...block('bash', 'curl[^\\n]*').matchAll(/^curl (?:-H '([^:]+): ([^']*)' )?localhost:3000(\S*)\s+# (\d{3})/gm),
];
if (curls.length === 0) throw new Error("The README's Quick start has no curl line with an expected status");
const expected = curls.map(([, header, value, path, status]) => [
  header ? { [header]: value } : {},
  path,
  Number(status),
]);
write('quick-start.json', JSON.stringify(expected, null, 2) + '\n');
