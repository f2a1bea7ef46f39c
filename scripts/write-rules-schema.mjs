// Regenerates schema/rules.schema.json (a model's rules.json) and schema/rule-edits.schema.json
// (`--rules FILE`, a scenario's "rules") from the zod schemas (run `npm run build` first).
import { writeFileSync } from 'node:fs';
import { rulesJsonSchemas } from 'trajsim';

const { rules, edits } = rulesJsonSchemas();
for (const [name, schema, title] of [
  ['rules', rules, 'trajsim plausibility rules (rules.json)'],
  ['rule-edits', edits, 'trajsim rule edits (--rules FILE)'],
]) {
  writeFileSync(
    new URL(`../schema/${name}.schema.json`, import.meta.url),
    `${JSON.stringify({ ...schema, title, $id: `https://trajsim.dev/schema/${name}.schema.json` }, null, 2)}\n`,
  );
  console.log(`wrote schema/${name}.schema.json`);
}
