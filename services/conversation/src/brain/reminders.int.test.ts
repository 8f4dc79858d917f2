import { createClient, type Client } from '@connectrpc/connect';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { ManualClock, startNotificationHarness, type NotificationHarness } from '@tend/notification/testing';
import { randomBytes } from 'node:crypto';
import { AesGcmCipher, CompositeService, Metrics, createLogger } from '@tend/core';
import { MemoryEventBus } from '@tend/events';
import { createCache } from '@tend/cache';
import { ConversationService } from '@tend/proto/tend/conversation/v1/conversation';
import { ReminderState } from '@tend/proto/tend/notification/v1/notification';
import { databaseTargets, inProcessTransport, uniqueSchemaName } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationService } from '../conversation-service.js';
import { ScriptedLlmServer } from '../testing/scripted-llm-server.js';

// Reminders said in words, against the real health and notification services on one
// PostgreSQL: what the agent says it did must be what the scheduler then holds.
describe.each(databaseTargets())('reminders through the conversation agent on $kind PostgreSQL', (target) => {
  // 07:00 in Berlin (CEST).
  const clock = new ManualClock(new Date('2026-06-01T05:00:00Z'));
  const llm = new ScriptedLlmServer();
  let harness: NotificationHarness;
  let basic: Client<typeof ConversationService>;
  let withModel: Client<typeof ConversationService>;
  const running: CompositeService[] = [];

  const conversationClient = async (llmUrl?: string) => {
    const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
    const bus = new MemoryEventBus({ logger });
    const module = createConversationService({
      database: harness.health.database,
      bus,
      health: inProcessTransport((router) => harness.health.routes(router)),
      notification: inProcessTransport((router) => harness.notification.module.routes(router)),
      cache: createCache({ logger }),
      cipher: new AesGcmCipher([{ id: 'k1', key: randomBytes(32) }], randomBytes(32)),
      logger,
      metrics: new Metrics({ defaultMetrics: false }),
      clock,
      schema: uniqueSchemaName('conversation'),
      ...(llmUrl && {
        llm: { baseUrl: llmUrl, model: 'scripted', firstTokenTimeoutMs: 10_000, totalTimeoutMs: 20_000, maxSteps: 4 },
      }),
    });
    const parts = new CompositeService('conversation-parts', [bus, ...(module.parts ?? [])]);
    await parts.start();
    running.push(parts);
    return createClient(
      ConversationService,
      inProcessTransport((router) => module.routes(router)),
    );
  };

  beforeAll(async () => {
    harness = await startNotificationHarness(target, { clock });
    basic = await conversationClient();
    withModel = await conversationClient(await llm.start());
  }, 120_000);
  afterAll(async () => {
    for (const parts of running.reverse()) await parts.stop();
    await llm.stop();
    await harness?.stop();
  });

  const newPerson = async (displayName: string) => {
    const id = await insertTestUser(harness.health.context, { timeZone: 'Europe/Berlin', displayName });
    const caller = personCaller(id);
    // On the real server the health service reads people from its replica (and caches what it
    // found, "no one" too): wait until the replica has the new row.
    await expect
      .poll(
        async () =>
          (
            await harness.health.context.db
              .reader(id)
              .selectFrom('users')
              .select('id')
              .where('id', '=', id)
              .executeTakeFirst()
          )?.id,
        { timeout: 10_000 },
      )
      .toBe(id);
    return caller;
  };
  const say = async (caller: ReturnType<typeof personCaller>, text: string, client = basic) =>
    (await client.processConversation({ caller, text })).reply!;
  const medicationsOf = async (caller: ReturnType<typeof personCaller>) =>
    (await harness.health.client.listMedications({ caller })).medications;
  const upcoming = async (caller: ReturnType<typeof personCaller>) => {
    await harness.notification.module.scheduler.reconcile();
    return (await harness.notification.client.listUpcomingReminders({ caller })).reminders.filter(
      (r) => r.kind === 'dose_due' && r.state === ReminderState.PENDING,
    );
  };

  it('adds a medication it has not heard of, with the dose said, and schedules its reminder', async () => {
    clock.set('2026-06-01T05:00:00Z');
    const ann = await newPerson('Ann');
    const reply = await say(ann, 'remind me to take 81 mg aspirin at 8');
    expect(reply.text).toContain("I've added Aspirin (81 mg a dose)");
    expect(reply.text).toContain("I'll remind you to take Aspirin at 8:00 AM every day (Europe/Berlin time)");
    expect(reply.text).toContain('say "8 pm" if you meant the evening');
    expect(reply.actions).toEqual([expect.objectContaining({ tool: 'add_medication', ok: true })]);
    const [aspirin] = await medicationsOf(ann);
    expect(aspirin).toMatchObject({ name: 'Aspirin', dose: 81, doseUnit: 'mg', remindersEnabled: true });
    expect(aspirin!.schedule!.times).toEqual(['08:00']);
    const reminders = await upcoming(ann);
    expect(reminders.map((r) => [r.medicationName, r.localTime])).toEqual([['Aspirin', '08:00']]);
    expect((await say(ann, 'what reminders do I have today')).text).toBe('Your reminders today: 8:00 AM Aspirin.');
  });

  it('adds "lisinopril 10 mg every morning at 7" and, in Chinese, "每天早上七点吃赖诺普利10毫克"', async () => {
    clock.set('2026-06-01T04:00:00Z');
    const ben = await newPerson('Ben');
    const reply = await say(ben, 'add lisinopril 10 mg every morning at 7');
    expect(reply.text).toContain("I've added Lisinopril (10 mg a dose)");
    expect(reply.text).toContain('at 7:00 AM every day');
    expect(reply.text).not.toContain('pm');
    const zh = await say(ben, '每天早上七点吃赖诺普利片10毫克');
    expect(zh.text).toContain('早上7:00');
    const names = (await medicationsOf(ben)).map((m) => [m.name, m.dose, m.doseUnit, m.schedule!.times]);
    expect(names).toContainEqual(['Lisinopril', 10, 'mg', ['07:00']]);
    expect(names).toContainEqual(['赖诺普利片', 10, 'mg', ['07:00']]);
    await upcoming(ben);
    expect((await say(ben, '今天有哪些提醒')).text).toMatch(/^今天的提醒：早上7:00 (Lisinopril|赖诺普利片)；早上7:00/);
  });

  it('asks for what is missing and writes nothing: no time, no medication', async () => {
    const cat = await newPerson('Cat');
    expect((await say(cat, 'remind me to take aspirin')).text).toBe(
      'What time should I remind you to take Aspirin? For example, "at 8 am".',
    );
    expect((await say(cat, 'remind me at 8 pm')).text).toContain('Which medication should I remind you about?');
    expect((await say(cat, '提醒我吃药')).text).toContain('要提醒你吃哪种药');
    expect(await medicationsOf(cat)).toEqual([]);
  });

  it('snoozes the reminder that just went out, once, and says when it comes again', async () => {
    clock.set('2026-06-01T05:30:00Z');
    const dan = await newPerson('Dan');
    expect((await say(dan, 'snooze')).text).toBe("There's no reminder to snooze right now.");
    expect((await say(dan, '稍后提醒我')).text).toBe('现在没有可以推迟的提醒。');
    await say(dan, 'remind me to take metformin at 9 am');
    await upcoming(dan);
    clock.set('2026-06-01T07:00:01Z'); // 09:00 in Berlin
    await harness.notification.module.scheduler.dispatchDue();
    const reply = await say(dan, 'snooze 15 minutes');
    expect(reply.text).toBe("Okay — I'll remind you about Metformin again in 15 minutes, at 9:15 AM.");
    const snoozed = (await upcoming(dan)).map((r) => new Date(Number(r.fireAt!.seconds) * 1000).toISOString());
    expect(snoozed).toContain('2026-06-01T07:15:01.000Z');
    // That reminder is answered now; there is nothing left to snooze.
    expect((await say(dan, 'snooze')).text).toBe("There's no reminder to snooze right now.");
  });

  it('stops one medication’s reminders and keeps the medication and its history', async () => {
    clock.set('2026-06-01T05:00:00Z');
    const eve = await newPerson('Eve');
    await say(eve, 'add vitamin d 1000 iu every day at 9 am');
    await say(eve, 'remind me to take metformin at 9 am');
    expect((await upcoming(eve)).map((r) => r.medicationName).sort()).toEqual(['Metformin', 'Vitamin D']);

    const reply = await say(eve, 'stop reminding me about vitamin D');
    expect(reply.text).toContain("I won't remind you about Vitamin D anymore");
    expect(reply.text).toContain('stays on your medication list with its history');
    const vitaminD = (await medicationsOf(eve)).find((m) => m.name === 'Vitamin D')!;
    expect(vitaminD).toMatchObject({ active: true, remindersEnabled: false });
    expect(vitaminD.schedule!.times).toEqual(['09:00']);
    expect((await upcoming(eve)).map((r) => r.medicationName)).toEqual(['Metformin']);

    expect((await say(eve, 'stop reminding me about warfarin')).text).toBe(
      'I couldn\'t find "warfarin" on your medication list, so I haven\'t changed any reminders.',
    );
    expect((await say(eve, '别再提醒我吃二甲双胍')).text).toContain('没有"二甲双胍"');
    // Asking again for a reminder turns them back on.
    await say(eve, 'remind me to take vitamin d at 9 pm');
    expect((await medicationsOf(eve)).find((m) => m.name === 'Vitamin D')).toMatchObject({
      remindersEnabled: true,
      schedule: expect.objectContaining({ times: ['09:00', '21:00'] }),
    });
  });

  it('lets the language model set a reminder for a new medication through the same tools', async () => {
    clock.set('2026-06-01T05:00:00Z');
    const fay = await newPerson('Fay');
    llm.script({
      kind: 'tool',
      name: 'set_reminder',
      args: { medication: 'Atorvastatin', times: ['21:00'], dose: 20, doseUnit: 'mg' },
      then: 'I will remind you at 9 pm.',
    });
    const reply = await say(fay, 'please remind me about my atorvastatin 20 mg at nine tonight', withModel);
    expect(reply.text).toBe('I will remind you at 9 pm.');
    expect(reply.actions).toEqual([expect.objectContaining({ tool: 'add_medication', ok: true })]);
    const tools = (llm.requests.at(-1) as { tools: { function: { name: string } }[] }).tools.map(
      (t) => t.function.name,
    );
    expect(tools).toEqual(
      expect.arrayContaining(['set_reminder', 'add_medication', 'snooze_reminder', 'list_reminders', 'stop_reminders']),
    );
    expect((await medicationsOf(fay)).map((m) => [m.name, m.dose, m.schedule!.times])).toEqual([
      ['Atorvastatin', 20, ['21:00']],
    ]);
    llm.script({ kind: 'tool', name: 'stop_reminders', args: { medication: 'atorvastatin' }, then: 'Done.' });
    await say(fay, 'no more reminders for atorvastatin', withModel);
    expect((await medicationsOf(fay))[0]).toMatchObject({ active: true, remindersEnabled: false });
  });
});
