import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrajsimError } from '../../src/core/errors.js';
import { loadGenerationModel } from '../../src/generate/load-generation-model.js';
import type { GenerationModel } from '../../src/generate/step-model.js';
import { selectBackend } from '../../src/model/backend.js';
import { auditRules } from '../../src/rules/audit-rules.js';
import { rulesJsonSchemas } from '../../src/rules/rule-schema.js';
import { applyRuleEdits, parseRuleEdits } from '../../src/rules/rules-file.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { runGeneration } from '../../src/scenario/run-generation.js';
import { type Scenario, scenarioSchema } from '../../src/scenario/schema.js';
import { readTimeline } from '../../src/timeline/read.js';
import { useTempDir } from '../helpers/tmp.js';

const dir = useTempDir('scenario-rules');
let model: GenerationModel;

beforeAll(async () => {
  await selectBackend('wasm');
  model = loadGenerationModel('models/default');
});

async function refusal(scenario: Scenario): Promise<TrajsimError> {
  try {
    await runGeneration({ model, modelDir: 'models/default', scenario, out: join(dir, 'refused') });
  } catch (e) {
    return e as TrajsimError;
  }
  throw new Error('expected the scenario to be refused');
}

describe('rules and scenarios', () => {
  it('every shipped scenario gives 0 violations of the model’s hard rules (300 patients each)', async () => {
    for (const file of readdirSync('scenarios').filter((f) => f.endsWith('.json'))) {
      const scenario = { ...loadScenario(join('scenarios', file)), patients: 300 };
      const out = join(dir, file.replace('.json', ''));
      await runGeneration({ model, modelDir: 'models/default', scenario, out });
      const audit = auditRules(
        await readTimeline(out),
        model.rules!.rules.filter((r) => r.severity === 'hard'),
      );
      const broken = audit.counts.filter((c) => c.violating > 0).map((c) => `${file}: ${c.id}`);
      expect(broken).toEqual([]);
    }
  });

  it('refuses an intervention that breaks a hard rule, naming the rule and the intervention', async () => {
    const late = scenarioSchema.parse({
      name: 'late',
      patients: 10,
      seed: 1,
      interventions: [
        {
          code: 'TREATMENT_START:Lev',
          day: 30,
          replaces: 'TREATMENT_START:',
          set_attribute: { rx: 'Lev' },
        },
      ],
    });
    const e = await refusal(late);
    expect(e.code).toBe('SCENARIO');
    expect(e.field).toBe('interventions[0]');
    expect(e.reason).toMatch(
      /TREATMENT_START:\* occurs only on day 0' \(day_range:TREATMENT_START:\*\)/,
    );
    const armless = scenarioSchema.parse({
      name: 'armless',
      patients: 10,
      seed: 1,
      interventions: [{ code: 'TREATMENT_START:Lev', day: 0, replaces: 'TREATMENT_START:' }],
    });
    expect((await refusal(armless)).reason).toMatch(
      /rx is not set; add "set_attribute": \{"rx": "Lev"\}/,
    );
    // relaxing the rule in the scenario lets it through
    const relaxed = scenarioSchema.parse({
      ...late,
      rules: {
        relax: [
          { id: 'day_range:TREATMENT_START:*', max_day: 60 },
          { id: 'day_range:TREATMENT_START:Lev', max_day: 60 },
        ],
      },
    });
    const out = join(dir, 'relaxed');
    const { manifest, record } = await runGeneration({
      model,
      modelDir: 'models/default',
      scenario: relaxed,
      out,
    });
    expect(manifest.counts.patients).toBe(10);
    expect(record.rules.hard).toContain('day_range:TREATMENT_START:*');
    expect(record.rules.hard.length).toBe(17);
  });

  it('rule edits name the file and field of an unknown id; the JSON Schemas are published', () => {
    const edits = parseRuleEdits('{"remove":["max_count:NOPE"]}', 'edits.json');
    let error: TrajsimError | undefined;
    try {
      applyRuleEdits(model.rules!, edits, 'edits.json');
    } catch (e) {
      error = e as TrajsimError;
    }
    expect(error?.file).toBe('edits.json');
    expect(error?.field).toBe('remove[0]');
    const { rules, edits: editsSchema } = rulesJsonSchemas();
    for (const [name, schema] of [
      ['rules', rules],
      ['rule-edits', editsSchema],
    ] as const) {
      const {
        title: _t,
        $id: _i,
        ...rest
      } = JSON.parse(readFileSync(`schema/${name}.schema.json`, 'utf8'));
      expect(rest).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });
});
