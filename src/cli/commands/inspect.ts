import { Command } from 'commander';
import { formatNumber } from '../../core/format.js';
import { terminalSafe } from '../../core/terminal-text.js';
import type { TimelineDescription } from '../../stats/describe-timeline.js';
import { inspectTimeline } from '../../validate/inspect-timeline.js';
import type { RegisterCommand } from '../context.js';

function fmt(x: number, digits = 1): string {
  return formatNumber(x, { missing: 'NA', decimals: digits });
}

function render(d: TimelineDescription): string[] {
  const lines = [
    `timeline ${d.name}`,
    `  patients ${d.patients}, events ${d.events}`,
    `  events per patient: mean ${fmt(d.eventsPerPatient.mean, 2)}, median ${fmt(d.eventsPerPatient.median)}, p95 ${fmt(d.eventsPerPatient.p95)}, max ${d.eventsPerPatient.max}`,
    `  terminal: ${d.terminal.deaths} DEATH, ${d.terminal.censored} END_OF_FOLLOWUP`,
    `  follow-up (days): median observed ${fmt(d.followUpDays.medianObserved)}, reverse-KM median ${fmt(d.followUpDays.medianReverseKm)}, max ${d.followUpDays.max}`,
    `  index dates ${d.dates.indexFrom} .. ${d.dates.indexTo}; last event ${d.dates.lastEvent}`,
    '  codes (events / patients):',
  ];
  for (const c of d.codes)
    lines.push(
      `    ${c.code.padEnd(28)} ${String(c.events).padStart(9)} ${String(c.patients).padStart(9)}`,
    );
  if (d.values.length > 0) {
    lines.push('  values (with value / events, missing share; min, median, mean, max):');
    for (const v of d.values)
      lines.push(
        `    ${v.code.padEnd(28)} ${v.withValue}/${v.events}, missing ${fmt(v.missingShare * 100, 1)}%; min ${fmt(v.min, 2)}, median ${fmt(v.median, 2)}, mean ${fmt(v.mean, 2)}, max ${fmt(v.max, 2)}${v.integer ? `; integer (${v.distinct > 1000 ? '> 1000' : v.distinct} distinct)` : ''}`,
      );
  }
  lines.push('  attributes:');
  for (const a of d.attributes) {
    if (a.kind === 'categorical') {
      lines.push(
        `    ${a.name} (categorical, ${a.missing} missing): ${a.levels.map((l) => `${l.level}=${l.count}`).join(', ')}`,
      );
    } else {
      lines.push(
        `    ${a.name} (numeric, ${a.missing} missing): min ${fmt(a.min, 2)}, median ${fmt(a.median, 2)}, mean ${fmt(a.mean, 2)}, max ${fmt(a.max, 2)}`,
      );
    }
  }
  return lines;
}

/** `trajsim inspect`: what is in a timeline directory. */
export const registerInspect: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('inspect')
      .description(
        'Summarise a timeline: patients, events per patient, codes, event values per code, attributes,\n' +
          'deaths vs censored, median follow-up (observed and reverse Kaplan–Meier) and date range.',
      )
      .argument('<dir>', 'timeline directory')
      .option('--json', 'print JSON instead of text')
      .addHelpText('after', '\nExample:\n  trajsim inspect out/colon --json')
      .action(async (dir: string, opts: { json?: boolean }) => {
        const d = await inspectTimeline(dir);
        if (opts.json) context.out(JSON.stringify(d, null, 2));
        else for (const line of render(d)) context.out(terminalSafe(line));
      }),
  );
};
