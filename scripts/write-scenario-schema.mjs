// Regenerates schema/scenario.schema.json from the zod schema (run `npm run build` first).
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchema } from 'trajsim';

const schema = {
  ...scenarioJsonSchema(),
  title: 'trajsim scenario',
  $id: 'https://trajsim.dev/schema/scenario.schema.json',
};
writeFileSync(
  new URL('../schema/scenario.schema.json', import.meta.url),
  `${JSON.stringify(schema, null, 2)}\n`,
);
console.log('wrote schema/scenario.schema.json');
