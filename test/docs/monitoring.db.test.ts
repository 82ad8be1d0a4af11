import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The alert rules and the dashboard shipped in docs/monitoring name only
 * metrics, labels and routes the issuer really exports: checked against the
 * /metrics of a running issuer after it served the routes they watch.
 */
const ALERTS = parse(readFileSync('docs/monitoring/prometheus-alerts.yml', 'utf8')) as {
  groups: {
    name: string;
    rules: {
      alert: string;
      expr: string;
      for?: string;
      labels: { severity: string };
      annotations: { summary: string; runbook_url: string };
    }[];
  }[];
};
const DASHBOARD = JSON.parse(readFileSync('docs/monitoring/grafana-dashboard.json', 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { query?: string }[] };
};
const RUN_BOOK = readFileSync('docs/run-book.md', 'utf8');
/** Series Prometheus itself makes, and the labels it adds to every scraped one. */
const PROMETHEUS_SERIES = new Set(['up']);
const PROMETHEUS_LABELS = new Set(['job', 'instance', 'le']);

const rules = ALERTS.groups.flatMap((g) => g.rules);
const expressions = [
  ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  ...DASHBOARD.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel ${p.title}`, expr: t.expr }))),
  ...DASHBOARD.templating.list.flatMap((v) =>
    v.query?.includes('{') ? [{ where: 'variable', expr: v.query }] : [],
  ),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchors = new Set(
  [...RUN_BOOK.matchAll(/^#+ (.+)$/gm)].map((m) =>
    m[1]!
      .toLowerCase()
      .replace(/[^\w\- ]/g, '')
      .replace(/ /g, '-'),
  ),
);

describe('monitoring shipped in docs/', () => {
  let stack: Stack;
  let exported: string;
  beforeAll(async () => {
    stack = await startStack();
    // Serve every route the rules watch once, so their series exist.
    const origin = stack.issuer;
    await fetch(`${origin}/readyz`);
    await fetch(`${origin}/v1/session`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody', password: 'not-a-password' }),
    });
    await fetch(`${origin}/v1/provisionings`, { method: 'POST', headers: { origin } });
    exported = await (
      await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${stack.opsKey}` } })
    ).text();
  });
  afterAll(async () => stack?.stop());

  it('alert rules parse, each with a severity, a summary and a run-book section that exists', () => {
    expect(rules.length).toBeGreaterThanOrEqual(6);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^Pushprov[A-Z]\w+$/);
      expect(['page', 'ticket']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      const anchor = /^docs\/run-book\.md#(.+)$/.exec(rule.annotations.runbook_url)?.[1];
      expect(anchors, `${rule.alert}: ${rule.annotations.runbook_url}`).toContain(anchor);
    }
  });

  it('the dashboard parses and every panel queries something', () => {
    expect(DASHBOARD.panels.length).toBeGreaterThan(0);
    for (const panel of DASHBOARD.panels) expect(panel.targets.length, panel.title).toBeGreaterThan(0);
  });

  it('every metric, label and route they name is one the issuer exports', () => {
    const families = new Map<string, string>(
      [...exported.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]),
    );
    const series = new Set(
      [...families].flatMap(([name, type]) =>
        type === 'histogram' || type === 'summary'
          ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`]
          : [name],
      ),
    );
    const labels = new Set([...exported.matchAll(/[{,](\w+)="/g)].map((m) => m[1]!));
    for (const { where, expr } of expressions) {
      const names = [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=\{|\[|\)|\s*[<>=!]|$)/gm)]
        .map((m) => m[1]!)
        .filter((n) => n.startsWith('pushprov_') || PROMETHEUS_SERIES.has(n));
      expect(names.length, `${where} names no metric`).toBeGreaterThan(0);
      for (const name of names) {
        if (!PROMETHEUS_SERIES.has(name)) expect(series, `${where}: ${name}`).toContain(name);
      }
      for (const [, label] of expr.matchAll(/(\w+)\s*=~?\s*"/g)) {
        if (!PROMETHEUS_LABELS.has(label!)) expect(labels, `${where}: label ${label}`).toContain(label);
      }
      for (const [, route] of expr.matchAll(/route="([^"]+)"/g)) {
        expect(exported, `${where}: route ${route}`).toContain(`route="${route}"`);
      }
    }
  });
});
