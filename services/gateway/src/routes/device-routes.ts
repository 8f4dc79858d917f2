import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import {
  DeadLetterSchema,
  DeviceKind,
  DeviceSchema,
  PushSubscriptionSchema,
  VerifyDeviceRequestSchema,
  type NotificationService,
} from '@tend/proto/tend/notification/v1/notification';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toApiJson } from '../http/api-json.js';
import { contractText } from '../http/contract-fields.js';
import {
  apiObject,
  callerOfRequest,
  idParams,
  listResponse,
  pageOf,
  pageQuery,
  zodRoutes,
  noContent,
} from './route-kit.js';

const registerBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('phone'), address: z.string().trim().min(1).max(32) }),
  z.strictObject({ kind: z.literal('email'), address: z.string().trim().min(3).max(254) }),
  z.strictObject({
    kind: z.literal('push'),
    // As the browser's PushSubscription.toJSON() gives it.
    subscription: z.object({
      endpoint: contractText(PushSubscriptionSchema.field.endpoint, { min: 1 }),
      keys: z.object({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) }),
    }),
  }),
]);
const kinds = { phone: DeviceKind.PHONE, email: DeviceKind.EMAIL, push: DeviceKind.PUSH };
const actionBody = z.strictObject({ action: z.enum(['taken', 'skip', 'snooze']) });
const tokenBody = z.strictObject({ token: z.string().min(10).max(1000) });
const tokenParams = z.strictObject({ token: z.string().min(10).max(1000) });

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Devices (`/api/v1/devices`: push subscriptions, phones, e-mail addresses, each verified before
 * use), the Web Push key, reminder actions (from the app, and by the signed link of a push button
 * or an e-mail), the SMS provider's inbound webhook, and the dead letters for admins.
 */
export function registerDeviceRoutes(app: FastifyInstance, notification: Client<typeof NotificationService>): void {
  const api = zodRoutes(app);
  const tags = ['notifications'];
  api.post(
    '/api/v1/devices',
    {
      config: {
        upstreamFields: {
          pushSubscription: 'subscription',
          'pushSubscription.p256dh': 'subscription.keys.p256dh',
          'pushSubscription.auth': 'subscription.keys.auth',
        },
      },
      schema: {
        tags,
        summary: 'Add a push subscription, a phone (E.164) or an e-mail address; phones and addresses get a code',
        body: registerBody,
        response: { 201: apiObject },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { device } = await notification.registerDevice({
        caller: callerOfRequest(request),
        kind: kinds[body.kind],
        address: body.kind === 'push' ? '' : body.address,
        pushSubscription:
          body.kind === 'push'
            ? {
                endpoint: body.subscription.endpoint,
                p256dh: body.subscription.keys.p256dh,
                auth: body.subscription.keys.auth,
              }
            : undefined,
      });
      return reply.code(201).send(toApiJson(DeviceSchema, device!));
    },
  );
  api.post(
    '/api/v1/devices/:id/verify',
    {
      config: { upstreamFields: { deviceId: 'id' } },
      schema: {
        tags,
        summary: 'Verify a phone or address with the code sent to it',
        params: idParams,
        body: z.strictObject({
          code: contractText(VerifyDeviceRequestSchema.field.code, { patternMessage: 'must be the 6 digits sent' }),
        }),
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { device } = await notification.verifyDevice({
        caller: callerOfRequest(request),
        deviceId: request.params.id,
        code: request.body.code,
      });
      return toApiJson(DeviceSchema, device!);
    },
  );
  api.get(
    '/api/v1/devices',
    { schema: { tags, summary: 'Your devices', response: { 200: z.object({ items: z.array(apiObject) }) } } },
    async (request) => {
      const { devices } = await notification.listDevices({ caller: callerOfRequest(request) });
      return { items: devices.map((d) => toApiJson(DeviceSchema, d)) };
    },
  );
  api.delete(
    '/api/v1/devices/:id',
    {
      config: { upstreamFields: { deviceId: 'id' } },
      schema: { tags, summary: 'Remove a device', params: idParams, response: { 204: noContent } },
    },
    async (request, reply) => {
      await notification.deleteDevice({ caller: callerOfRequest(request), deviceId: request.params.id });
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/push/vapid-public-key',
    {
      schema: {
        tags,
        summary: 'The key to subscribe to Web Push with (applicationServerKey)',
        response: { 200: z.object({ publicKey: z.string() }) },
      },
    },
    async () => ({ publicKey: (await notification.getVapidPublicKey({})).publicKey }),
  );
  api.post(
    '/api/v1/notifications/:id/actions',
    {
      schema: {
        tags,
        summary: 'Answer a dose reminder: taken, skip, or snooze 10 minutes',
        params: idParams,
        body: actionBody,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const result = await notification.performAction({
        caller: callerOfRequest(request),
        notificationId: request.params.id,
        action: request.body.action,
      });
      return {
        action: result.action,
        notificationId: result.notificationId,
        ...(result.snoozedUntil && { snoozedUntil: timestampDate(result.snoozedUntil).toISOString() }),
      };
    },
  );
  api.post(
    '/api/v1/actions',
    {
      schema: {
        tags,
        summary: "Answer a dose reminder by a push button's or e-mail link's signed token (single use, 2 h)",
        body: tokenBody,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const result = await notification.performAction({ token: request.body.token });
      return {
        action: result.action,
        notificationId: result.notificationId,
        ...(result.snoozedUntil && { snoozedUntil: timestampDate(result.snoozedUntil).toISOString() }),
      };
    },
  );
  // An e-mail link opens a page that asks; only its button acts (mail scanners follow links).
  api.get(
    '/api/v1/actions/:token',
    { schema: { tags, summary: 'The page an e-mail action link opens', params: tokenParams, hide: true } },
    async (request, reply) => {
      const token = escapeHtml(request.params.token);
      return reply
        .header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; connect-src 'self'")
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><meta charset="utf-8"><title>Tend</title><p id="m">Confirm your answer to the reminder.</p>` +
            `<button id="b">Confirm</button><script>document.getElementById('b').onclick=async()=>{` +
            `const r=await fetch('/api/v1/actions',{method:'POST',headers:{'content-type':'application/json'},` +
            `body:JSON.stringify({token:${JSON.stringify(token)}})});document.getElementById('m').textContent=` +
            `r.ok?'Done, thank you.':'This link has expired or was already used.'}</script>`,
        );
    },
  );
  app.register(async (scope) => {
    // Twilio posts form-encoded; the signature covers the URL and every parameter.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    zodRoutes(scope).post(
      '/api/v1/sms/inbound',
      {
        schema: {
          tags,
          summary: "The SMS provider's webhook for replies (X-Twilio-Signature checked)",
          body: z.record(z.string(), z.string()),
        },
      },
      async (request, reply) => {
        const url = `${request.protocol}://${request.headers.host ?? request.hostname}${request.url}`;
        const { reply: text } = await notification.handleSmsReply({
          url,
          params: request.body,
          signature: String(request.headers['x-twilio-signature'] ?? ''),
        });
        const twiml = text ? `<Message>${escapeHtml(text)}</Message>` : '';
        return reply.type('text/xml').send(`<?xml version="1.0" encoding="UTF-8"?><Response>${twiml}</Response>`);
      },
    );
  });
  api.get(
    '/api/v1/admin/dead-letters',
    {
      schema: {
        tags: ['admin'],
        summary: 'Notification deliveries that failed for good',
        querystring: z.strictObject({ ...pageQuery }),
        response: { 200: listResponse },
      },
    },
    async (request) => {
      const { deadLetters, page } = await notification.listDeadLetters({
        caller: callerOfRequest(request),
        page: pageOf(request.query),
      });
      return { items: deadLetters.map((d) => toApiJson(DeadLetterSchema, d)), nextCursor: page?.nextCursor || null };
    },
  );
}
