import { requireInfra } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MonitoringStack,
  WebhookReceiver,
  monitoringInstalled,
  type WebhookNotification,
} from './monitoring/monitoring-servers.js';
import { TendProcess, testPorts } from './tend-process.js';

const installed = requireInfra(
  'Prometheus and Alertmanager (`bash scripts/infra.sh up monitoring` installs them)',
  monitoringInstalled(),
);

/**
 * The whole alerting path with real parts: a Tend health service, Prometheus scraping it with the
 * repository's rules, Alertmanager routing with the repository's config, and a local webhook in
 * place of the pager. The only change to the rules is a shorter `for` on the alert under test.
 */
describe.runIf(installed)('alerting end to end: a stopped service pages through Alertmanager', () => {
  let tend: TendProcess;
  let stack: MonitoringStack;
  let pager: WebhookReceiver;
  const admin = `127.0.0.1:${testPorts.admin}`;

  beforeAll(async () => {
    pager = await WebhookReceiver.start();
    tend = await TendProcess.start(['serve', '--target=health']);
    await tend.waitForHttp(`http://${admin}/readyz`);
    stack = await MonitoringStack.start({
      targets: { health: admin },
      webhookUrl: pager.url,
      alertFor: { TendTargetDown: '2s' },
    });
  });

  afterAll(async () => {
    await tend?.stop();
    await stack?.stop();
    await pager?.stop();
  });

  it('sends TendTargetDown with its runbook to the pager webhook once the health process stops', async () => {
    // Prometheus sees the target up first: nothing pages while it is.
    const deadline = Date.now() + 30_000;
    while ((await stack.query('up{job="health"}')) !== '1') {
      if (Date.now() > deadline) throw new Error(`health never scraped:\n${stack.prometheus.output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(pager.received.filter((n) => n.alerts.some((a) => a.labels.alertname === 'TendTargetDown'))).toEqual([]);

    expect(await tend.stop()).toBe(0);

    const isTargetDown = (n: WebhookNotification) =>
      n.path === '/pager' &&
      n.status === 'firing' &&
      n.alerts.some((a) => a.labels.alertname === 'TendTargetDown' && a.status === 'firing');
    const page = await pager.waitFor(isTargetDown, 60_000);
    expect(page.receiver).toBe('pager');
    const alert = page.alerts.find((a) => a.labels.alertname === 'TendTargetDown')!;
    expect(alert.labels).toMatchObject({ job: 'health', instance: admin, severity: 'page', system: 'tend' });
    expect(alert.annotations).toMatchObject({
      summary: `health on ${admin} is down`,
      runbook_url: 'deploy/runbooks/target-down.md',
    });
    // A page goes to the pager only: the ticket webhook heard nothing of it.
    expect(pager.received.filter((n) => n.path === '/tickets')).toEqual([]);
  }, 120_000);
});
