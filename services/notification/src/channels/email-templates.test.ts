import { describe, expect, it } from 'vitest';
import { emailOf } from './email-templates.js';

const message = {
  deliveryId: 'd1',
  notificationId: 'n1',
  kind: 'dose_reminder',
  title: 'Time for your <Aspirin>',
  body: '81 mg of Aspirin at 08:00.',
  language: 'en' as const,
  data: {},
  actions: [{ action: 'taken', title: 'Taken', token: 'tok.en' }],
};

describe('notification e-mails', () => {
  it('has a text part and an HTML part with the action as a link, escaping what it quotes', () => {
    const mail = emailOf(message, (token) => `https://tend.test/api/v1/actions/${token}`);
    expect(mail.text).toContain('Taken: https://tend.test/api/v1/actions/tok.en');
    expect(mail.html).toContain('href="https://tend.test/api/v1/actions/tok.en"');
    expect(mail.html).toContain('Time for your &lt;Aspirin&gt;');
    expect(mail.html).not.toContain('<Aspirin>');
  });

  it('writes its footer in Chinese for a Chinese message', () => {
    const mail = emailOf({ ...message, language: 'zh', actions: [] }, () => '');
    expect(mail.text).toContain('您收到这封邮件');
    expect(mail.html).toContain('lang="zh"');
  });
});
