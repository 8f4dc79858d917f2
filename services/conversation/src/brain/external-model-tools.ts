import { tool } from 'ai';
import { z } from 'zod';
import { weekdays } from '../understanding/understand.js';
import type { ExternalTools } from './external-tools.js';

const place = z
  .string()
  .min(1)
  .max(120)
  .optional()
  .describe('a place name or "latitude,longitude"; leave out for where the person lives');
const day = z.enum(['today', 'tomorrow', ...weekdays]);

/**
 * The model's tools for weather, the person's place and appointments: the same calls and spoken
 * answers as the embedded brain, bound to the turn's caller. Each returns the sentence the
 * embedded brain would say, for the model to pass on or rephrase.
 */
export function externalModelTools(external: ExternalTools, locale: 'en' | 'zh') {
  const dayOf = (d: z.infer<typeof day>) =>
    d === 'today'
      ? { relative: 0 as const }
      : d === 'tomorrow'
        ? { relative: 1 as const }
        : { weekday: weekdays.indexOf(d) };
  return {
    get_weather: tool({
      description: 'The forecast for today or tomorrow (optionally a part of the day), or the air quality now.',
      inputSchema: z.strictObject({
        place,
        day: z.enum(['today', 'tomorrow']),
        partOfDay: z.enum(['morning', 'afternoon', 'evening']).optional(),
        air: z.boolean().optional().describe('true for air quality (AQI, PM2.5) instead of the forecast'),
      }),
      execute: async (input) => ({
        answer: await external.weatherReply(
          input.day === 'tomorrow' ? 1 : 0,
          {
            air: input.air ?? false,
            partOfDay: input.partOfDay,
            place: input.place,
            rain: input.partOfDay !== undefined,
          },
          locale,
        ),
      }),
    }),
    set_place: tool({
      description: 'Store where the person lives, when they say so ("I live in Berlin").',
      inputSchema: z.strictObject({ place: z.string().min(1).max(120) }),
      execute: async (input) => ({ answer: await external.setPlace(input.place, locale) }),
    }),
    appointments: tool({
      description: 'The person’s appointments: the next one, those on a day, or next week.',
      inputSchema: z.strictObject({ day: day.optional(), nextWeek: z.boolean().optional() }),
      execute: async (input) => ({
        answer: await external.calendarReply(
          { calendarAction: 'list', appointmentDay: input.day && dayOf(input.day), nextWeek: input.nextWeek },
          locale,
        ),
      }),
    }),
    add_appointment: tool({
      description: 'Add an appointment the person asked to add, on a day at a local time.',
      inputSchema: z.strictObject({
        title: z.string().min(1).max(200).describe('e.g. "Dentist"'),
        day,
        time: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
          .describe('local time HH:MM'),
      }),
      execute: async (input) => ({
        answer: await external.calendarReply(
          {
            calendarAction: 'add',
            appointmentTitle: input.title,
            appointmentDay: dayOf(input.day),
            appointmentTime: input.time,
          },
          locale,
        ),
      }),
    }),
    cancel_appointment: tool({
      description: 'Cancel an appointment the person asked to cancel, by its day and/or what it is.',
      inputSchema: z.strictObject({ day: day.optional(), title: z.string().min(1).max(200).optional() }),
      execute: async (input) => ({
        answer: await external.calendarReply(
          { calendarAction: 'cancel', appointmentDay: input.day && dayOf(input.day), appointmentTitle: input.title },
          locale,
        ),
      }),
    }),
  };
}
