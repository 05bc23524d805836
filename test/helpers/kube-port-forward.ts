// Pod port-forward through the fake Kubernetes API server (test/helpers/kube-api.ts): a WebSocket upgrade speaking
// kubelet's channel protocol, bridged to real TCP servers on 127.0.0.1.
//
// Behaviour copied from the real thing (and what it means for a client):
// - kubelet's port-forward speaks `v4.channel.k8s.io` (and base64/legacy variants), never v5, though
//   client-node offers v5 first. The server picks the client's first offered protocol it supports.
// - After the upgrade, each port i gets its data channel 2i and error channel 2i+1, and the first frame on each is
//   the port as uint16 little-endian. A failed dial inside the pod is reported as text on the error channel,
//   worded as containerd words it, and then the WebSocket is closed.

import { type IncomingMessage, STATUS_CODES } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { type FakeCluster, type FakePod, hex, uuidOf } from './kube-cluster.ts';
import { badRequest, HttpError } from './kube-refusals.ts';

/** The channel protocols kubelet's port-forward accepts. */
export const KUBELET_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io'];

/** The text containerd writes on a forward's error channel when it cannot reach the port inside the pod. */
export function forwardErrorText(namespace: string, pod: string, port: number, cause: string): string {
  const sandbox = hex(`sandbox/${namespace}/${pod}`);
  const netns = `/var/run/netns/cni-${uuidOf(`netns/${namespace}/${pod}`)}`;
  return (
    `error forwarding port ${port} to pod ${sandbox}, uid : failed to execute portforward in network namespace "${netns}": ` +
    `failed to connect to localhost:${port} inside namespace "${sandbox}", IPv4: dial tcp4 127.0.0.1:${port}: ${cause} ` +
    `IPv6 dial tcp6 [::1]:${port}: ${cause} `
  );
}

function dialCause(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connect: connection refused';
    case 'ETIMEDOUT':
      return 'i/o timeout';
    case 'EHOSTUNREACH':
      return 'connect: no route to host';
    default:
      return err.message;
  }
}

const HIGH_WATER = 64; // frames in flight to the client before the pod side is paused
const LOW_WATER = 16;

interface Forward {
  ws: WebSocket;
  tcp: Set<Socket>;
}

/** Runs kubelet's side of the channel protocol on an accepted WebSocket. */
function runForward(ws: WebSocket, forward: Forward, ns: string, pod: string, ports: number[], targets: Array<number | undefined>): void {
  const base64 = ws.protocol === 'v4.base64.channel.k8s.io';
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const sockets: Array<Socket | undefined> = [];
  let remaining = ports.length;
  let inflight = 0;
  const paused = new Set<Socket>();

  const send = (channel: number, payload: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    inflight++;
    if (inflight > HIGH_WATER) {
      for (const s of sockets) {
        if (s && !s.destroyed && !s.isPaused()) {
          s.pause();
          paused.add(s);
        }
      }
    }
    const done = () => {
      inflight--;
      if (inflight < LOW_WATER && paused.size > 0) {
        for (const s of paused) s.resume();
        paused.clear();
      }
    };
    if (base64) {
      ws.send(String.fromCharCode(48 + channel) + payload.toString('base64'), done);
    } else {
      const frame = Buffer.allocUnsafe(payload.length + 1);
      frame[0] = channel;
      payload.copy(frame, 1);
      ws.send(frame, { binary: true }, done);
    }
  };
  const finishOne = () => {
    remaining--;
    if (remaining === 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };

  ports.forEach((port, i) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port, 0);
    send(2 * i, portBytes);
    send(2 * i + 1, portBytes);
  });

  ports.forEach((port, i) => {
    const target = targets[i];
    if (target === undefined) {
      send(2 * i + 1, Buffer.from(forwardErrorText(ns, pod, port, 'connect: connection refused')));
      finishOne();
      return;
    }
    const sock = connect({ host: '127.0.0.1', port: target, allowHalfOpen: true });
    sockets[i] = sock;
    forward.tcp.add(sock);
    let connected = false;
    let reported = false;
    sock.on('connect', () => {
      connected = true;
    });
    sock.on('data', (chunk: Buffer) => send(2 * i, chunk));
    sock.on('end', () => sock.destroy());
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (reported) return;
      reported = true;
      const text = connected
        ? `error forwarding port ${port} to pod ${hex(`sandbox/${ns}/${pod}`)}, uid : read tcp4 127.0.0.1:${sock.localPort ?? 0}->127.0.0.1:${port}: read: ${err.code === 'ECONNRESET' ? 'connection reset by peer' : err.message}`
        : forwardErrorText(ns, pod, port, dialCause(err));
      send(2 * i + 1, Buffer.from(text));
    });
    sock.on('close', () => {
      forward.tcp.delete(sock);
      paused.delete(sock);
      finishOne();
    });
  });

  ws.on('message', (data: RawData, isBinary: boolean) => {
    let buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buf.length === 0) return;
    let channel = buf[0] as number;
    if (!isBinary && base64) {
      channel = channel - 48;
      buf = Buffer.concat([Buffer.from([channel]), Buffer.from(buf.subarray(1).toString('utf8'), 'base64')]);
    }
    const payload = buf.subarray(1);
    if (v5 && channel === 255) {
      // CLOSE: the client has no more to write on this channel; half-close the pod side.
      const closed = payload[0];
      if (closed !== undefined && closed % 2 === 0) sockets[closed / 2]?.end();
      return;
    }
    if (channel % 2 !== 0 || channel / 2 >= ports.length || payload.length === 0) return; // writes to error channels are dropped
    const sock = sockets[channel / 2];
    if (!sock || sock.destroyed || sock.writableEnded) return;
    if (!sock.write(payload)) {
      ws.pause();
      sock.once('drain', () => ws.resume());
    }
  });
  ws.on('close', () => {
    for (const s of sockets) s?.destroy();
  });
  ws.on('error', () => {
    for (const s of sockets) s?.destroy();
  });
}

/** The port-forward endpoint: the WebSockets it accepts and the TCP connections it bridges them to. */
export class PortForwards {
  private readonly cluster: FakeCluster;
  private readonly supported: string[];
  private readonly wss: WebSocketServer;
  private readonly open = new Set<Forward>();
  /** Port-forward WebSockets opened so far. */
  opened = 0;

  /** `supported`: the channel protocols accepted, in no particular order. */
  constructor(cluster: FakeCluster, supported: string[]) {
    this.cluster = cluster;
    this.supported = supported;
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      handleProtocols: (offered) => {
        for (const p of offered) if (supported.includes(p)) return p;
        return false;
      },
    });
  }

  /** Port-forward WebSockets currently open. */
  get openCount(): number {
    return this.open.size;
  }

  /** Upgrades an authorised WebSocket request to forward the `ports` query parameter of a pod; throws an HttpError
   * to refuse it as kubelet or the API server would. `accepted` is called once the WebSocket is open. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, pod: FakePod, params: URLSearchParams, accepted: () => void): void {
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name;
    const supported = this.supported;
    const ports: number[] = [];
    for (const value of params.getAll('ports')) {
      for (const p of value.split(',')) {
        if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw badRequest(`unable to parse "${value}" as a port: invalid port`);
        ports.push(Number(p));
      }
    }
    if (ports.length === 0) throw badRequest('query parameter "port" is required');
    if (pod.status?.phase === 'Pending' && !pod.spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (offered.length > 0 && !offered.some((p) => supported.includes(p))) {
      throw badRequest(`unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${supported.join(' ')}]`);
    }
    const targets: Array<number | undefined> = [];
    for (const p of ports) {
      const t = this.cluster.forwardTargets?.(namespace, name, p);
      if (t === 'refuse')
        throw new HttpError(500, 'InternalError', `error dialing backend: dial tcp ${pod.status?.podIP ?? '10.244.0.10'}:10250: connect: connection refused`);
      if (typeof t === 'object') throw new HttpError(t.status, t.reason ?? STATUS_CODES[t.status]?.replace(/ /g, '') ?? 'Failure', t.message);
      targets.push(t);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      accepted();
      this.opened++;
      const forward: Forward = { ws, tcp: new Set() };
      this.open.add(forward);
      ws.on('close', () => this.open.delete(forward));
      runForward(ws, forward, namespace, name, ports, targets);
    });
  }

  /** Closes every forward's WebSocket and TCP connections. */
  close(): void {
    for (const f of this.open) {
      for (const s of f.tcp) s.destroy();
      f.ws.terminate();
    }
    this.open.clear();
    this.wss.close();
  }
}
