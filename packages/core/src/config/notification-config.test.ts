import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('notification channel configuration', () => {
  it('turns channels on from their variables, SMS providers in failover order', () => {
    const config = loadConfig({
      SMTP_URL: 'smtp://user:pass@mail.example:587',
      SMS_PROVIDER: 'twilio,signalwire',
      TWILIO_ACCOUNT_SID: 'AC123',
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM: '+15005550006',
      SIGNALWIRE_URL: 'https://space.signalwire.com/api/laml',
      SIGNALWIRE_PROJECT_ID: 'project',
      SIGNALWIRE_TOKEN: 'secret',
      SIGNALWIRE_FROM: '+15005550007',
    });
    expect(config.notification.email).toEqual({
      smtpUrl: 'smtp://user:pass@mail.example:587',
      from: 'Tend <notifications@tend.local>',
    });
    expect(config.notification.smsProviders.map((p) => [p.name, p.baseUrl])).toEqual([
      ['twilio', 'https://api.twilio.com'],
      ['signalwire', 'https://space.signalwire.com/api/laml'],
    ]);
  });

  it('leaves e-mail and SMS off by default', () => {
    const config = loadConfig({});
    expect(config.notification.email).toBeUndefined();
    expect(config.notification.smsProviders).toEqual([]);
  });

  it('names the missing variable when a provider is chosen without its account', () => {
    expect(() => loadConfig({ SMS_PROVIDER: 'twilio' })).toThrow(/TWILIO_ACCOUNT_SID/);
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: 'AC1', SMS_PROVIDER: 'twilio' })).toThrow(/TWILIO_AUTH_TOKEN/);
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example' })).toThrow(/SMTP_URL/);
  });
});
