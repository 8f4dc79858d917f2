import type { OutgoingMessage } from './channel-sender.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const footer = {
  en: 'You receive this because of your Tend notification settings.',
  zh: '您收到这封邮件是因为您在 Tend 中的通知设置。',
};

/**
 * A notification as an e-mail, English or Chinese: a plain-text part for every client and an
 * HTML part with the action links as buttons. Everything from the message is escaped.
 */
export function emailOf(
  message: OutgoingMessage,
  actionUrl: (token: string) => string,
): { subject: string; text: string; html: string } {
  const lang = message.language;
  const actions = message.actions.map((a) => ({ title: a.title, url: actionUrl(a.token) }));
  const text = [
    message.title,
    '',
    message.body,
    ...(actions.length > 0 ? ['', ...actions.map((a) => `${a.title}: ${a.url}`)] : []),
    '',
    '—',
    footer[lang],
  ].join('\n');
  const buttons = actions
    .map(
      (a) =>
        `<a href="${escapeHtml(a.url)}" style="display:inline-block;margin:4px;padding:8px 16px;background:#2f6f4f;color:#fff;border-radius:4px;text-decoration:none">${escapeHtml(a.title)}</a>`,
    )
    .join('');
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(message.title)}</title></head><body style="font-family:sans-serif"><h2>${escapeHtml(message.title)}</h2><p>${escapeHtml(message.body)}</p>${buttons ? `<p>${buttons}</p>` : ''}<p style="color:#777;font-size:12px">${escapeHtml(footer[lang])}</p></body></html>`;
  return { subject: message.title, text, html };
}
