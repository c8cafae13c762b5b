// Writes generated/<dashboard>.ts: each dashboard JSON as an object literal typed with Grafana's own
// dashboard and panel schemas, so that `tsc` reports every field of the wrong type and every unknown key.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dashboards = process.env.DASHBOARDS_DIR ?? join(here, '..', '..', 'dashboards');
const out = join(here, 'generated');
rmSync(out, { recursive: true, force: true });
mkdirSync(out);

const files = readdirSync(dashboards).filter((name) => name.endsWith('.json')).sort();
if (files.length === 0) {
  throw new Error(`no dashboards in ${dashboards}`);
}
for (const file of files) {
  const text = readFileSync(join(dashboards, file), 'utf8');
  const dashboard = JSON.parse(text);
  const literal = JSON.stringify(dashboard, null, 2);
  const panels = JSON.stringify(dashboard.panels ?? [], null, 2);
  writeFileSync(
    join(out, `${basename(file, '.json')}.ts`),
    `// Generated from dashboards/${file} by generate.mjs; do not edit.\n` +
      `import type { CheckedDashboard, CheckedPanel } from '../schema';\n\n` +
      `export const dashboard: CheckedDashboard = ${literal};\n\n` +
      `export const panels: CheckedPanel[] = ${panels};\n`,
  );
}
console.log(`generated ${files.length} dashboards`);
