import type { MetricValue } from '../metric.js';
import type { TimelineSummary } from '../summary.js';

/**
 * Constraint violations of the compared side: events after a terminal event, negative days,
 * days going backwards, patients without or with several terminal events. Must be 0.
 *
 * @example
 * constraintMetrics(real, synthetic).every((m) => m.value === 0) // => true for a well-formed synthetic timeline
 */
export function constraintMetrics(_ref: TimelineSummary, other: TimelineSummary): MetricValue[] {
  const v = other.violations;
  const total =
    v.eventsAfterTerminal +
    v.negativeDays +
    v.daysBackwards +
    v.missingTerminal +
    v.multipleTerminal;
  return [
    {
      id: 'constraints.violations',
      family: 'constraints',
      label: 'Constraint violations (must be 0)',
      unit: 'count',
      value: total,
      details: { ...v },
    },
  ];
}
