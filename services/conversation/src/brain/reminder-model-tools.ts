import { tool } from 'ai';
import { z } from 'zod';
import type { HealthTools } from './health-tools.js';
import type { ReminderTools } from './reminder-tools.js';

/** The units a spoken dose may be recorded in (the health service's list). */
const doseUnits = [
  'mg',
  'mcg',
  'g',
  'mL',
  'IU',
  'unit',
  'tablet',
  'capsule',
  'puff',
  'drop',
  'patch',
  'spray',
] as const;

const name = z.string().min(1).max(200).describe('the medication’s name as the person said it or as their list has it');
const times = z
  .array(z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time HH:MM'))
  .min(1)
  .max(12)
  .describe('local times of day, HH:MM 24-hour, in the person’s time zone');
const dose = z.number().positive().max(100_000).optional().describe('amount per dose, only if the person said it');
const doseUnit = z.enum(doseUnits).optional().describe('unit of the dose, only if the person said it');

/**
 * The model's reminder tools: the same calls and spoken answers as the embedded brain, bound to
 * the turn's caller. A medication not on the person's list is added with its schedule (the dose
 * only when said); each tool returns the sentence the embedded brain would say, for the model to
 * pass on or rephrase. Snoozing and listing need the notification service, and are offered only
 * with it.
 */
export function reminderModelTools(
  reminders: ReminderTools,
  health: HealthTools,
  locale: 'en' | 'zh',
  withNotification: boolean,
) {
  const ask = (input: { medication: string; times: string[]; dose?: number; doseUnit?: string }, adding: boolean) => {
    const found = health.medicationNamed(input.medication);
    return reminders.remind(
      {
        medication: found,
        candidates: [],
        spokenName: input.medication,
        dose: input.dose !== undefined ? { amount: input.dose, unit: input.doseUnit ?? 'tablet' } : undefined,
        times: input.times,
        timeAssumed: false,
        adding,
      },
      locale,
    );
  };
  const always = {
    set_reminder: tool({
      description:
        'Remind the person daily to take a medication at local times; adds the medication if it is not on their list yet. Only when they asked for it.',
      inputSchema: z.strictObject({ medication: name, times, dose, doseUnit }),
      execute: async (input) => ({ answer: await ask(input, false) }),
    }),
    add_medication: tool({
      description: 'Add a medication the person takes, with its daily local times (it is reminded then).',
      inputSchema: z.strictObject({ medication: name, times, dose, doseUnit }),
      execute: async (input) => ({ answer: await ask(input, true) }),
    }),
    stop_reminders: tool({
      description:
        'Stop reminding the person about one medication; it stays on their list with its history. Only when they asked.',
      inputSchema: z.strictObject({ medication: name }),
      execute: async (input) => ({
        answer: await reminders.stopReminding(health.medicationNamed(input.medication), [], input.medication, locale),
      }),
    }),
  };
  if (!withNotification) return always;
  return {
    ...always,
    snooze_reminder: tool({
      description: 'Snooze the person’s latest dose reminder (default 10 minutes).',
      inputSchema: z.strictObject({ minutes: z.number().int().min(1).max(240).optional() }),
      execute: async (input) => ({ answer: await reminders.snooze(input.minutes, locale) }),
    }),
    list_reminders: tool({
      description: 'The person’s dose reminders still to come today, or tomorrow’s.',
      inputSchema: z.strictObject({ day: z.enum(['today', 'tomorrow']) }),
      execute: async (input) => ({ answer: await reminders.upcoming(input.day, locale) }),
    }),
  };
}
