// Fingerprints and events are pure: table-driven cases over previous state, a diagnosis and the clock.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EntityRef, RootCause, Severity } from '../../src/model/finding.ts';
import { applyEvents, type DiagnosisView, eventsFor, type SinkState, type StateEntry, subjectsOf } from '../../src/notify/events.ts';
import { fingerprint, scopeOf } from '../../src/notify/fingerprint.ts';

const CLUSTER: EntityRef = { kind: 'cluster', name: 'httproute/home/app/rule/0' };
const LISTENER: EntityRef = { kind: 'listener', name: 'home/eg/https' };

function rootCause(id: string, severity: Severity, entities: EntityRef[], snapshot: string, seenOn: string[] = [snapshot]): RootCause {
  return { id, severity, confidence: 'high', score: 1, snapshot, seenOn, entities, evidence: [], explains: [], checks: [], changes: [], fixes: [] };
}

const GW = [
  { id: 'envoy-eg-abc-1', owner: 'gateway home/eg', namespace: 'envoy-gateway-system' },
  { id: 'envoy-eg-abc-2', owner: 'gateway home/eg', namespace: 'envoy-gateway-system' },
];

describe('fingerprint', () => {
  const base = { id: 'flow-control-stall', scope: 'gateway home/eg', entities: [CLUSTER, LISTENER] };
  const cases: Array<[string, Parameters<typeof fingerprint>[0], boolean]> = [
    ['entities in another order', { ...base, entities: [LISTENER, CLUSTER] }, true],
    ['an entity listed twice', { ...base, entities: [CLUSTER, LISTENER, CLUSTER] }, true],
    ['another root cause', { ...base, id: 'missing-tcp-keepalive' }, false],
    ['another owner', { ...base, scope: 'gateway home/other' }, false],
    ['no owner known', { ...base, scope: null }, false],
    ['one entity fewer', { ...base, entities: [CLUSTER] }, false],
    ['same name, another kind', { ...base, entities: [{ kind: 'route', name: CLUSTER.name }, LISTENER] }, false],
  ];
  for (const [name, input, same] of cases) {
    it(`${name}: ${same ? 'same' : 'different'} fingerprint`, () => {
      assert.equal(fingerprint(input) === fingerprint(base), same);
    });
  }
  it('is 16 hex digits and stable across releases of the code that computes it', () => {
    assert.match(fingerprint(base), /^[0-9a-f]{16}$/);
    assert.equal(fingerprint(base), fingerprint(structuredClone(base)));
  });
  it('scope: the owner of the proxies, else their namespace, never the pod name', () => {
    assert.equal(scopeOf(rootCause('x', 'error', [], 'envoy-eg-abc-2'), GW), 'gateway home/eg');
    assert.equal(scopeOf(rootCause('x', 'error', [], 'web-1'), [{ id: 'web-1', namespace: 'shop' }]), 'namespace shop');
    assert.equal(scopeOf(rootCause('x', 'error', [], 'bundle'), [{ id: 'bundle' }]), null);
  });
  it('a rollout (new pod names, same gateway) keeps the fingerprint', () => {
    const before = subjectsOf({
      snapshots: GW,
      rootCauses: [rootCause('flow-control-stall', 'error', [CLUSTER], 'envoy-eg-abc-1', ['envoy-eg-abc-1', 'envoy-eg-abc-2'])],
    });
    const after = subjectsOf({
      snapshots: [{ id: 'envoy-eg-def-9', owner: 'gateway home/eg', namespace: 'envoy-gateway-system' }],
      rootCauses: [rootCause('flow-control-stall', 'error', [CLUSTER], 'envoy-eg-def-9')],
    });
    assert.equal(before[0]?.fingerprint, after[0]?.fingerprint);
  });
});

describe('subjectsOf', () => {
  it('root causes of one fingerprint (pods without an owner in one namespace) are one subject at the highest severity', () => {
    const snapshots = [
      { id: 'a', namespace: 'shop' },
      { id: 'b', namespace: 'shop' },
    ];
    const subjects = subjectsOf({
      snapshots,
      rootCauses: [rootCause('missing-tcp-keepalive', 'warning', [CLUSTER], 'a'), rootCause('missing-tcp-keepalive', 'error', [CLUSTER], 'b')],
    });
    assert.equal(subjects.length, 1);
    assert.equal(subjects[0]?.severity, 'error');
    assert.equal(subjects[0]?.rootCauses.length, 2);
  });

  it("names a subject's entities once each, sorted by kind and name, at mesh scale too", () => {
    const route = { kind: 'route', name: CLUSTER.name } as const;
    const [small] = subjectsOf({ snapshots: GW, rootCauses: [rootCause('stats-unavailable', 'info', [LISTENER, CLUSTER, route, CLUSTER], 'envoy-eg-abc-1')] });
    assert.deepEqual(small?.entities, [CLUSTER, LISTENER, route]);
    // A grouped root cause of a 20,000-cluster mesh, every cluster named twice, in reverse order.
    const clusters = Array.from({ length: 20_000 }, (_, i) => ({ kind: 'cluster' as const, name: `httproute/shop/r${String(i).padStart(5, '0')}/rule/0` }));
    const [large] = subjectsOf({ snapshots: GW, rootCauses: [rootCause('stats-unavailable', 'info', [...clusters, ...clusters].reverse(), 'envoy-eg-abc-1')] });
    assert.deepEqual(large?.entities, clusters);
  });
});

describe('eventsFor', () => {
  const T0 = new Date('2026-01-01T00:00:00Z');
  const H = 3_600_000;
  const at = (ms: number) => new Date(T0.getTime() + ms);
  const stall = rootCause('flow-control-stall', 'error', [CLUSTER, LISTENER], 'envoy-eg-abc-1', ['envoy-eg-abc-1', 'envoy-eg-abc-2']);
  const keepalive = rootCause('missing-tcp-keepalive', 'warning', [CLUSTER], 'envoy-eg-abc-1');
  const fpStall = subjectsOf({ snapshots: GW, rootCauses: [stall] })[0]?.fingerprint as string;
  const fpKeep = subjectsOf({ snapshots: GW, rootCauses: [keepalive] })[0]?.fingerprint as string;
  const entry = (rootCause: string, severity: Severity, notifiedAt: Date, entities: EntityRef[] = [CLUSTER]): StateEntry => ({
    rootCause,
    severity,
    scope: 'gateway home/eg',
    entities,
    openedAt: T0.toISOString(),
    notifiedAt: notifiedAt.toISOString(),
  });
  const view = (rootCauses: RootCause[], extra: Partial<DiagnosisView> = {}): DiagnosisView => ({ snapshots: GW, rootCauses, notCollected: [], ...extra });

  const cases: Array<{ name: string; previous: SinkState; d: DiagnosisView; now: Date; renotify?: number; expect: Array<[string, string]> }> = [
    {
      name: 'first run: everything opens',
      previous: {},
      d: view([stall, keepalive]),
      now: T0,
      expect: [
        ['opened', 'flow-control-stall'],
        ['opened', 'missing-tcp-keepalive'],
      ],
    },
    {
      name: 'same again within --renotify: nothing',
      previous: { [fpStall]: entry('flow-control-stall', 'error', T0), [fpKeep]: entry('missing-tcp-keepalive', 'warning', T0) },
      d: view([stall, keepalive]),
      now: at(23 * H),
      expect: [],
    },
    {
      name: 'severity went up: changed',
      previous: { [fpStall]: entry('flow-control-stall', 'warning', T0) },
      d: view([stall]),
      now: at(H),
      expect: [['changed', 'flow-control-stall']],
    },
    {
      name: '--renotify after the last post: reminder',
      previous: { [fpStall]: entry('flow-control-stall', 'error', T0) },
      d: view([stall]),
      now: at(24 * H),
      expect: [['reminder', 'flow-control-stall']],
    },
    {
      name: '--renotify 0: never a reminder',
      previous: { [fpStall]: entry('flow-control-stall', 'error', T0) },
      d: view([stall]),
      now: at(1000 * H),
      renotify: 0,
      expect: [],
    },
    {
      name: 'gone with every proxy read: resolved',
      previous: { [fpStall]: entry('flow-control-stall', 'error', T0), [fpKeep]: entry('missing-tcp-keepalive', 'warning', T0) },
      d: view([keepalive]),
      now: at(H),
      expect: [['resolved', 'flow-control-stall']],
    },
    {
      name: 'gone, some proxies unread, but its gateway was read: resolved',
      previous: { [fpStall]: entry('flow-control-stall', 'error', T0) },
      d: view([], { notCollected: [{ id: 'other-pod', namespace: 'x', reason: 'pod is Pending, not Running' }] }),
      now: at(H),
      expect: [['resolved', 'flow-control-stall']],
    },
    {
      name: 'gone because its gateway could not be read: kept',
      previous: { [fpStall]: entry('flow-control-stall', 'error', T0) },
      d: {
        snapshots: [{ id: 'web-1', namespace: 'shop' }],
        rootCauses: [],
        notCollected: [{ id: 'envoy-eg-abc-1', namespace: 'envoy-gateway-system', reason: 'connection refused' }],
      },
      now: at(H),
      expect: [],
    },
    {
      name: 'no proxy diagnosed at all: nothing resolved',
      previous: { [fpStall]: entry('flow-control-stall', 'error', T0) },
      d: { snapshots: [], rootCauses: [], notCollected: [{ id: 'envoy-eg-abc-1', namespace: 'envoy-gateway-system', reason: 'connection refused' }] },
      now: at(H),
      expect: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const events = eventsFor(c.previous, c.d, c.now, c.renotify ?? 24 * H);
      assert.deepEqual(
        events.map((e) => [e.kind, e.id]),
        c.expect,
      );
    });
  }

  it('each event carries the state it leaves: opened and reminder stamp the time, changed the severity, resolved removes', () => {
    const opened = eventsFor({}, view([stall]), T0, 24 * H)[0];
    assert.deepEqual(opened?.next, {
      rootCause: 'flow-control-stall',
      severity: 'error',
      scope: 'gateway home/eg',
      entities: [CLUSTER, LISTENER],
      openedAt: T0.toISOString(),
      notifiedAt: T0.toISOString(),
    });
    const changed = eventsFor({ [fpStall]: entry('flow-control-stall', 'warning', T0) }, view([stall]), at(H), 24 * H)[0];
    assert.equal(changed?.previousSeverity, 'warning');
    assert.equal(changed?.next?.severity, 'error');
    assert.equal(changed?.next?.openedAt, T0.toISOString());
    assert.equal(changed?.next?.notifiedAt, at(H).toISOString());
    const reminder = eventsFor({ [fpStall]: entry('flow-control-stall', 'error', T0) }, view([stall]), at(25 * H), 24 * H)[0];
    assert.equal(reminder?.next?.notifiedAt, at(25 * H).toISOString());
    const resolved = eventsFor({ [fpStall]: entry('flow-control-stall', 'error', T0) }, view([]), at(H), 24 * H)[0];
    assert.equal(resolved?.next, null);
    assert.deepEqual(resolved?.rootCauses, []);
  });

  it('applyEvents advances only the posted events', () => {
    const previous: SinkState = { [fpStall]: entry('flow-control-stall', 'error', T0) };
    const events = eventsFor(previous, view([keepalive]), at(H), 24 * H);
    assert.deepEqual(events.map((e) => e.kind).sort(), ['opened', 'resolved']);
    const onlyResolved = applyEvents(
      previous,
      events.filter((e) => e.kind === 'resolved'),
    );
    assert.deepEqual(onlyResolved, {});
    const nothing = applyEvents(previous, []);
    assert.deepEqual(nothing, previous);
    // The unposted `opened` comes again next run.
    assert.deepEqual(
      eventsFor(onlyResolved, view([keepalive]), at(2 * H), 24 * H).map((e) => e.kind),
      ['opened'],
    );
  });
});
