// proxy-drain-time: the proxy's drain time, how long draining listeners keep their connections: Envoy's command-line
// flag `--drain-time-s` (docs/root/operations/cli.rst), which Envoy Gateway sets from the EnvoyProxy's
// `shutdown.drainTimeout` (gateway.envoyproxy.io/v1alpha1 EnvoyProxy, internal/infrastructure/common/proxy_args.go).

import { noteType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue } from '../../model/finding.ts';
import { type FixKind, listenerTarget, note } from '../fix-kind.ts';
import { crdDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** The proxy's drain time (`--drain-time-s`) in seconds, through the listener that leads to its Gateway. */
    'proxy-drain-time': { listener: string; seconds: number };
  }
}

/** The drain time is also how long a stopping pod drains. */
const SLOWS_SHUTDOWN = noteType<{ drainSeconds: EvidenceValue }>()(
  'drain-timeout-slows-shutdown',
  'drainTimeout ({drainSeconds}) is also how long a proxy pod drains when it stops: keep terminationGracePeriodSeconds above it',
);

/** The proxy's drain time, rendered where a flavor has an object for it. */
export const fixKind: FixKind<'proxy-drain-time'> = {
  kind: 'proxy-drain-time',
  target: listenerTarget,
  envoy: { notRendered: 'the drain time is the command-line flag --drain-time-s, not configuration' },
  envoyGateway: (_s, c) => ({
    lands: 'envoy-proxy',
    listener: c.listener,
    spec: { shutdown: { drainTimeout: crdDuration(c.seconds * 1000) } },
    notes: [note(SLOWS_SHUTDOWN, { drainSeconds: c.seconds })],
  }),
  istio: { notRendered: "the drain time is the pod's proxy.istio.io/config drainDuration annotation, which no fix renders" },
  noteTypes: [SLOWS_SHUTDOWN],
};
