// listener-tcp-keepalive: TCP keepalive on a listener's accepted connections: `Listener.tcp_keepalive`
// (api/envoy/config/listener/v3/listener.proto) on Envoy >= 1.37 when the running version is known, else the Linux
// socket options SO_KEEPALIVE and TCP_KEEPIDLE/INTVL/CNT (api/envoy/config/core/v3/socket_option.proto), merged into
// the listener's `socket_options` by level and name; Envoy Gateway ClientTrafficPolicy `tcpKeepalive`; Istio: an
// EnvoyFilter LISTENER MERGE.

import { noteType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue } from '../../model/finding.ts';
import type { Obj } from '../envoy-spelling.ts';
import { asNumber, isObj, pointer } from '../envoy-spelling.ts';
import { hasListenerTcpKeepalive, type Keepalive, keepaliveSocketOptions, type LiveEdit, tcpKeepaliveFields } from '../envoy-live-edit.ts';
import { type FixKind, listenerTarget, note } from '../fix-kind.ts';
import { listenerPatch } from '../istio-envoy-filter.ts';
import { crdDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** TCP keepalive on a listener's connections: probes, idle time and interval in seconds. */
    'listener-tcp-keepalive': { listener: string } & Keepalive;
  }
}

/** Keepalive into the live listener: `tcp_keepalive` replacing keepalive socket options, or those options merged. */
function mergeKeepalive(e: LiveEdit, c: Keepalive): void {
  const { sp, resource: listener } = e;
  const options = sp.get(listener, 'socket_options');
  const list = Array.isArray(options) ? (options as unknown[]) : [];
  const wanted = keepaliveSocketOptions(c);
  const same = (o: unknown, w: Obj) => isObj(o) && asNumber(o.level) === w.level && asNumber(o.name) === w.name;
  if (hasListenerTcpKeepalive(e.envoyVersion)) {
    e.setFields(listener, { tcp_keepalive: tcpKeepaliveFields(c) });
    // Keepalive socket options would set the same socket fields a second time: tcp_keepalive replaces them.
    const kept = list.filter((o, i) => {
      const drop = wanted.some((w) => same(o, w));
      if (drop) e.out.removed.push(pointer(sp.key(listener, 'socket_options'), i));
      return !drop;
    });
    if (Array.isArray(options)) {
      if (kept.length > 0) sp.set(listener, 'socket_options', kept);
      else sp.delete(listener, 'socket_options');
    }
    return;
  }
  for (const w of wanted) {
    const spelled = sp.spell(w) as Obj;
    const at = list.findIndex((o) => same(o, w));
    if (at >= 0) list[at] = spelled;
    else list.push(spelled);
  }
  sp.set(listener, 'socket_options', list);
}

/** Which of the two the merged listener carries, by the running Envoy's version. */
const TCP_KEEPALIVE_FIELD = noteType<{ envoyVersion: EvidenceValue }>()(
  'envoy-listener-tcp-keepalive',
  'Envoy {envoyVersion} has Listener.tcp_keepalive (Envoy >= 1.37): it is set instead of keepalive socket options',
);
const KEEPALIVE_SOCKET_OPTIONS = noteType<{ envoyVersion: EvidenceValue }>()(
  'envoy-listener-keepalive-socket-options',
  "listener keepalive as socket options (Envoy {envoyVersion}): merged by level and name, the listener's other socket options kept; from Envoy 1.37 Listener.tcp_keepalive does the same",
);

/** Keepalive on a listener's connections, rendered for every flavor. */
export const fixKind: FixKind<'listener-tcp-keepalive'> = {
  kind: 'listener-tcp-keepalive',
  target: listenerTarget,
  envoy: (s, c) => {
    const field = hasListenerTcpKeepalive(s.envoyVersion);
    return {
      lands: 'resource',
      resource: field ? { tcp_keepalive: tcpKeepaliveFields(c) } : { socket_options: keepaliveSocketOptions(c) },
      merge: (e) => mergeKeepalive(e, c),
      mergedNotes: [note(field ? TCP_KEEPALIVE_FIELD : KEEPALIVE_SOCKET_OPTIONS, { envoyVersion: s.envoyVersion ?? 'unknown' })],
    };
  },
  envoyGateway: (_s, c) => ({
    lands: 'traffic-policy',
    spec: { tcpKeepalive: { probes: c.probes, idleTime: crdDuration(c.timeSeconds * 1000), interval: crdDuration(c.intervalSeconds * 1000) } },
  }),
  istio: (s, c) => {
    // Envoy >= 1.37 has Listener.tcp_keepalive (when the dump names the version).
    if (hasListenerTcpKeepalive(s.envoyVersion))
      return { lands: 'traffic', envoyFilterPatch: listenerPatch(s, c.listener, { tcp_keepalive: tcpKeepaliveFields(c) }) };
    // A MERGE of a list appends to it: the keepalive options join the listener's own socket options.
    const socketOptions = keepaliveSocketOptions(c).map(({ description: _description, ...option }) => option);
    return { lands: 'traffic', envoyFilterPatch: listenerPatch(s, c.listener, { socket_options: socketOptions }) };
  },
  noteTypes: [TCP_KEEPALIVE_FIELD, KEEPALIVE_SOCKET_OPTIONS],
};
