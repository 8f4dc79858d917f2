import { createRequire } from 'node:module';
import type * as PhoneNumbers from 'libphonenumber-js';
import { ValidationError } from '@tend/core';

/**
 * libphonenumber-js, loaded when the first phone number is checked: its metadata takes ~0.1 s of
 * CPU to load, at every start otherwise, and few requests carry a phone number. Node's module
 * cache keeps it after the first call.
 */
const phoneNumbers = (): typeof PhoneNumbers =>
  createRequire(import.meta.url)('libphonenumber-js') as typeof PhoneNumbers;

/** A phone number as given, checked to be a valid number written in E.164 (`+4915123456789`). */
export function e164Of(address: string, field: string): string {
  const trimmed = address.trim();
  if (!/^\+[1-9]\d{6,14}$/.test(trimmed)) {
    throw ValidationError.field(field, 'must be a phone number in E.164 form, e.g. +4915123456789');
  }
  const number = phoneNumbers().parsePhoneNumberFromString(trimmed);
  if (!number?.isValid() || number.number !== trimmed) {
    throw ValidationError.field(field, 'is not a valid phone number');
  }
  return number.number;
}

/** An e-mail address as given, lower-cased domain, checked for shape. */
export function emailOf(address: string, field: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  if (trimmed.length > 254 || at < 1 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) {
    throw ValidationError.field(field, 'must be an e-mail address');
  }
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}

const base64url = /^[A-Za-z0-9_-]+=*$/;

/**
 * A browser's push subscription, checked before anything is sent to it: an https endpoint (plain
 * http only on loopback, for local push services), a P-256 public key (65 bytes, uncompressed)
 * and a 16-byte auth secret, both base64url.
 */
export function pushSubscriptionOf(subscription: { endpoint: string; p256dh: string; auth: string }): {
  endpoint: string;
  keys: { p256dh: string; auth: string };
} {
  let url: URL;
  try {
    url = new URL(subscription.endpoint);
  } catch {
    throw ValidationError.field('push_subscription.endpoint', 'must be a URL');
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw ValidationError.field('push_subscription.endpoint', 'must be an https URL');
  }
  const p256dh = base64url.test(subscription.p256dh) ? Buffer.from(subscription.p256dh, 'base64url') : undefined;
  if (p256dh?.length !== 65 || p256dh[0] !== 0x04) {
    throw ValidationError.field(
      'push_subscription.p256dh',
      'must be an uncompressed P-256 public key (65 bytes, base64url)',
    );
  }
  const auth = base64url.test(subscription.auth) ? Buffer.from(subscription.auth, 'base64url') : undefined;
  if (auth?.length !== 16) throw ValidationError.field('push_subscription.auth', 'must be 16 bytes, base64url');
  return { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } };
}
