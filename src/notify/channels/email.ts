/** Email through SMTP (nodemailer): plain text and HTML, seed 001's subjects. */
import type { NotifyChannelConfig } from '../../config/schema/notify.js';
import type { Masker } from '../../runtime/secrets.js';
import type { NotificationChannel } from '../contract.js';
import { emailMessage } from '../messages.js';

type EmailChannelConfig = Extract<NotifyChannelConfig, { type: 'email' }>;

export function createEmailChannel(channel: EmailChannelConfig, name: string, timeoutMs: number, masker: Masker): NotificationChannel {
  return {
    name,
    type: 'email',
    timeoutMs,
    async send(d) {
      const { createTransport } = await import('nodemailer');
      const transport = createTransport({ ...smtpOptions(channel.smtp.url), connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs });
      const message = emailMessage(d.facts, channel.template);
      try {
        await transport.sendMail({
          from: channel.from,
          to: channel.to,
          subject: masker.mask(message.subject),
          text: masker.mask(message.text),
          ...(message.html === undefined ? {} : { html: masker.mask(message.html) }),
          // A delivery given up (its timeout, or the exit) closes the connection: a server that never answers holds nothing open.
          signal: d.signal,
          // The idempotency key: a receiver sees the same Message-ID on a second attempt.
          messageId: `<${d.id}@shipgate>`,
          headers: { 'X-Shipgate-Delivery': d.id },
        });
        return { ok: true };
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        return { ok: false, error: masker.mask(`SMTP: ${(err as Error).message}`), permanent: code !== undefined && code >= 500 && code < 600 };
      } finally {
        transport.close();
      }
    },
  };
}

/** Pure: nodemailer's SMTP options from `smtp(s)://user:password@host:port`. */
export function smtpOptions(url: string): { host: string; port: number; secure: boolean; auth?: { user: string; pass: string } } {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  const auth = u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {};
  return { host: u.hostname, port: u.port ? Number(u.port) : secure ? 465 : 587, secure, ...auth };
}
