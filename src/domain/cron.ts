/**
 * Cron expressions for the data-sync schedule (`DataSyncCron`; SPEC 6: "scheduled by interval or
 * cron"): the five classic fields — minute, hour, day of month, month, day of week (0 or 7 is
 * Sunday) — each `*`, a number, a range `a-b`, a step `*\/n` or `a-b/n`, or a comma list of those.
 * Times are UTC. As in cron, when both day fields are restricted a day matching either runs.
 */
import { CusthubError } from "./errors.js";

export interface CronSchedule {
  expression: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
  dayOfMonthRestricted: boolean;
  dayOfWeekRestricted: boolean;
}

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

function invalid(expression: string, why: string): CusthubError {
  return new CusthubError(
    "INVALID_SETTING",
    `Cron expression ${JSON.stringify(expression)}: ${why}.`,
    { expression },
  );
}

function parseField(expression: string, text: string, field: (typeof FIELDS)[number]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match)
      throw invalid(
        expression,
        `the ${field.name} field "${text}" is not *, a number, a range or a step`,
      );
    const from = match[1] === "*" ? field.min : Number(match[2]);
    const to =
      match[1] === "*"
        ? field.max
        : match[3] !== undefined
          ? Number(match[3])
          : match[4]
            ? field.max
            : from;
    const step = match[4] ? Number(match[4]) : 1;
    if (from < field.min || to > field.max || from > to || step < 1) {
      throw invalid(
        expression,
        `the ${field.name} field "${text}" is outside ${field.min}-${field.max}`,
      );
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

export function parseCron(expression: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5)
    throw invalid(expression, "it needs five fields: minute hour day-of-month month day-of-week");
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = fields.map((text, index) =>
    parseField(expression, text, FIELDS[index]!),
  );
  if (daysOfWeek!.delete(7)) daysOfWeek!.add(0);
  return {
    expression: fields.join(" "),
    minutes: minutes!,
    hours: hours!,
    daysOfMonth: daysOfMonth!,
    months: months!,
    daysOfWeek: daysOfWeek!,
    dayOfMonthRestricted: fields[2] !== "*",
    dayOfWeekRestricted: fields[4] !== "*",
  };
}

function dayMatches(schedule: CronSchedule, date: Date): boolean {
  const byMonthDay = schedule.daysOfMonth.has(date.getUTCDate());
  const byWeekDay = schedule.daysOfWeek.has(date.getUTCDay());
  if (schedule.dayOfMonthRestricted && schedule.dayOfWeekRestricted) return byMonthDay || byWeekDay;
  return byMonthDay && byWeekDay;
}

/** The first minute strictly after `after` that the schedule names; null if none within 5 years. */
export function nextCronTime(schedule: CronSchedule, after: Date): Date | null {
  const time = new Date(after.getTime());
  time.setUTCSeconds(0, 0);
  time.setUTCMinutes(time.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
  while (time.getTime() <= limit) {
    if (!schedule.months.has(time.getUTCMonth() + 1) || !dayMatches(schedule, time)) {
      time.setUTCDate(time.getUTCDate() + 1);
      time.setUTCHours(0, 0, 0, 0);
    } else if (!schedule.hours.has(time.getUTCHours())) {
      time.setUTCHours(time.getUTCHours() + 1, 0, 0, 0);
    } else if (!schedule.minutes.has(time.getUTCMinutes())) {
      time.setUTCMinutes(time.getUTCMinutes() + 1, 0, 0);
    } else {
      return time;
    }
  }
  return null;
}
