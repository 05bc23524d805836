// flow-control-stall: an aiohttp WebSocket backend (heartbeat 4 s, standing in for heartbeat=55) that streams as
// fast as it can, and clients that stop reading. The listener's write buffer to the client crosses its
// per_connection_buffer_limit_bytes, Envoy stops reading from the backend (cluster.*.upstream_flow_control_paused_
// reading_total; source/common/router/upstream_codec_filter.cc, UpstreamCodecFilter::onAboveWriteBufferHighWatermark,
// driven by the downstream connection's watermark), the backend's ping waits behind the unread bytes, and aiohttp
// closes the session 1.5 x heartbeat after the last frame it received (aiohttp web_ws.py: ping after `heartbeat`,
// pong deadline heartbeat / 2). The twin's clients read.

import { connect as connectTcp } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { openWebSocket } from '../clients.ts';
import { bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route } from '../config.ts';
import { statValue } from '../envoy.ts';
import type { Scenario, ScenarioContext, StartEnvoy } from '../scenario.ts';

/** Envoy Gateway's default for both limits. */
const LIMIT = 32768;
const HEARTBEAT_S = 2;
const CLIENTS = 4;

const MIB = 1048576;

const limits = (ctx: ScenarioContext, listenerLimit: number, clusterLimit: number, hcm: Record<string, unknown> = {}) =>
  bootstrap(
    [
      httpListener(connectionManager([route('ws', '/', { timeout: '0s' })], { upgrade_configs: [{ upgrade_type: 'websocket' }], ...hcm }), {
        per_connection_buffer_limit_bytes: listenerLimit,
        ...LISTENER_KEEPALIVE,
      }),
    ],
    [cluster('backend', ctx.backend.httpPort, { per_connection_buffer_limit_bytes: clusterLimit, ...CLUSTER_KEEPALIVE })],
  );
const config = (ctx: ScenarioContext) => limits(ctx, LIMIT, LIMIT);

/** The backend's stream: 1 MiB every 100 ms in 64 KiB messages, far more than a stalled client takes. */
const streamUrl = (port: number | undefined) => `ws://127.0.0.1:${port}/ws/stream?heartbeat=${HEARTBEAT_S}&chunk=65536&burst=1048576&every=0.1`;

/** Stalled clients against one pair of limits: where the bytes wait when reads pause, and what Envoy counts. */
async function stalledAgainst(ctx: ScenarioContext, start: StartEnvoy, listenerLimit: number, clusterLimit: number): Promise<Record<string, unknown>> {
  const envoy = await start(limits(ctx, listenerLimit, clusterLimit));
  const before = ctx.backend.ended().length;
  const sessions = await Promise.all(Array.from({ length: CLIENTS }, () => openWebSocket(streamUrl(envoy.ports.get('web')), { read: false })));
  await sleep(HEARTBEAT_S * 1.5 * 1000 + 1500);
  const ended = ctx.backend.ended().slice(before);
  const stat = (name: string) => statValue(envoy.admin, name);
  const out = {
    listenerLimit,
    clusterLimit,
    clients: CLIENTS,
    paused: await stat('cluster.backend.upstream_flow_control_paused_reading_total'),
    resumed: await stat('cluster.backend.upstream_flow_control_resumed_reading_total'),
    downstreamTxBufferedPerConnection: Math.round((await stat('http.web.downstream_cx_tx_bytes_buffered')) / CLIENTS),
    upstreamRxBufferedPerConnection: Math.round((await stat('cluster.backend.upstream_cx_rx_bytes_buffered')) / CLIENTS),
    heartbeatClosesAfterSeconds: ended.filter((e) => e.reason === 'heartbeat-timeout').map((e) => e.seconds),
    upstreamClosesWithActiveRequestSeen: await stat('cluster.backend.upstream_cx_destroy_remote_with_active_rq'),
  };
  for (const s of sessions) s.close();
  return out;
}

/** One HTTP/2 frame (RFC 9113 section 4.1). */
function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** A header field literal without indexing, its name from HPACK's static table (RFC 7541 appendix A). */
function literal(nameIndex: number, value: string): Buffer {
  return Buffer.concat([Buffer.from([nameIndex, value.length]), Buffer.from(value)]);
}

/**
 * An HTTP/2 GET (h2c, prior knowledge) whose client reads every frame but never sends a WINDOW_UPDATE: its stream
 * and connection windows (65,535 bytes) close, the way a client that stops consuming a stream leaves them.
 */
function stalledHttp2Stream(port: number | undefined, path: string): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(port), '127.0.0.1');
    socket.on('error', reject);
    socket.on('connect', () => {
      // GET, http, the path and authority: static entries 2 and 6, then :path (4) and :authority (1) literals.
      const headers = Buffer.concat([Buffer.from([0x82, 0x86]), literal(4, path), literal(1, `127.0.0.1:${port}`)]);
      socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0), frame(1, 0x5, 1, headers)]));
      let pending = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        pending = Buffer.concat([pending, d]);
        while (pending.length >= 9) {
          const length = pending.readUIntBE(0, 3);
          if (pending.length < 9 + length) break;
          const type = pending.readUInt8(3);
          const flags = pending.readUInt8(4);
          if (type === 4 && (flags & 1) === 0) socket.write(frame(4, 1, 0));
          if (type === 1) resolve(() => socket.destroy());
          pending = pending.subarray(9 + length);
        }
      });
    });
  });
}

/** HTTP/2 clients that stop reading a plain streamed response, against one pair of limits. */
async function stalledHttp2Against(
  ctx: ScenarioContext,
  start: StartEnvoy,
  listenerLimit: number,
  clusterLimit: number,
  streamWindow?: number,
): Promise<Record<string, unknown>> {
  const envoy = await start(
    limits(ctx, listenerLimit, clusterLimit, streamWindow ? { http2_protocol_options: { initial_stream_window_size: streamWindow } } : {}),
  );
  const port = envoy.ports.get('web');
  const closers = await Promise.all(
    Array.from({ length: CLIENTS }, () => stalledHttp2Stream(port, '/http/stream?chunk=65536&burst=1048576&every=0.1&seconds=30')),
  );
  await sleep(2500);
  const stat = (name: string) => statValue(envoy.admin, name);
  const out = {
    listenerLimit,
    clusterLimit,
    initialStreamWindowSize: streamWindow ?? 'default',
    streams: CLIENTS,
    http2Connections: await stat('http.web.downstream_cx_http2_active'),
    paused: await stat('cluster.backend.upstream_flow_control_paused_reading_total'),
    resumed: await stat('cluster.backend.upstream_flow_control_resumed_reading_total'),
    downstreamTxBufferedPerConnection: Math.round((await stat('http.web.downstream_cx_tx_bytes_buffered')) / CLIENTS),
    upstreamRxBufferedPerConnection: Math.round((await stat('cluster.backend.upstream_cx_rx_bytes_buffered')) / CLIENTS),
    // Read from the backend and not left in the upstream buffer: what went into the client's stream (its 64 KiB
    // window, then Envoy's stream buffer, which no stat counts).
    passedToStreamPerConnection: Math.round(
      ((await stat('cluster.backend.upstream_cx_rx_bytes_total')) - (await stat('cluster.backend.upstream_cx_rx_bytes_buffered'))) / CLIENTS,
    ),
  };
  for (const close of closers) close();
  return out;
}

export const flowControlStall: Scenario = {
  rootCause: 'flow-control-stall',
  entities: ['cluster backend'],
  failing: config,
  healthy: config,
  intervalSeconds: 1,
  questions: {
    /** Which per_connection_buffer_limit_bytes pauses upstream reads: the listener's or the cluster's? */
    'which-limit-pauses-upstream-reads': async (ctx, start) => ({
      listenerSmall: await stalledAgainst(ctx, start, LIMIT, MIB),
      clusterSmall: await stalledAgainst(ctx, start, MIB, LIMIT),
    }),
    /** The same for HTTP/2 clients (a streamed response whose stream window the client never opens). */
    'which-limit-pauses-upstream-reads-http2': async (ctx, start) => ({
      listenerSmall: await stalledHttp2Against(ctx, start, LIMIT, MIB),
      clusterSmall: await stalledHttp2Against(ctx, start, MIB, LIMIT),
      streamWindowSmall: await stalledHttp2Against(ctx, start, MIB, MIB, 65536),
    }),
  },
  fixDoesNotEnd:
    'a client that stays slow still misses the heartbeat with the fix applied: the ping waits behind the unread bytes wherever they are buffered, so the closes come at 1.5 x heartbeat with 32 KiB and 1 MiB limits alike (docs/lab.md)',
  async drive(ctx, envoy, variant) {
    const port = envoy.ports.get('web');
    const read = variant === 'healthy';
    const before = ctx.backend.ended().length;
    const sessions = await Promise.all(Array.from({ length: CLIENTS }, () => openWebSocket(streamUrl(port), { read })));
    await sleep(HEARTBEAT_S * 1.5 * 1000 + 1500);
    const ended = ctx.backend.ended().slice(before);
    const heartbeatCloses = ended.filter((e) => e.reason === 'heartbeat-timeout');
    const paused = await statValue(envoy.admin, 'cluster.backend.upstream_flow_control_paused_reading_total');
    const resumed = await statValue(envoy.admin, 'cluster.backend.upstream_flow_control_resumed_reading_total');
    const buffered = await statValue(envoy.admin, 'http.web.downstream_cx_tx_bytes_buffered');
    const received = await statValue(envoy.admin, 'cluster.backend.upstream_cx_rx_bytes_total');
    return {
      release: () => sessions.forEach((s) => s.close()),
      failed: heartbeatCloses.length > 0,
      measured: {
        heartbeatCloses: heartbeatCloses.length,
        closedAfterSeconds: heartbeatCloses.length ? Math.max(...heartbeatCloses.map((e) => e.seconds)) : null,
        paused,
        resumed,
        downstreamTxBufferedBytes: buffered,
        upstreamRxBytes: received,
      },
    };
  },
};
