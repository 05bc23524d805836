"""The lab's backend: an aiohttp server (WebSockets with aiohttp's own heartbeat, plain HTTP, server-sent events)
and a raw TCP echo server, on 127.0.0.1 with ports chosen by the OS.

Started by lab/backend.ts as `python backend.py`; prints one JSON line `{"http": PORT, "tcp": PORT}` when it listens,
then one JSON line per WebSocket that ends: `{"event": "ws-closed", "path", "seconds", "reason", "code"}`, so the
lab can tell who closed a session and when. It stops on SIGTERM or when its standard input closes.

Paths:
  /ws/stream?heartbeat=S&chunk=N&burst=N&every=S  a WebSocket that sends `burst` bytes in `chunk`-sized frames every
                                                  `every` seconds (as fast as it can when every=0), with aiohttp's
                                                  heartbeat (ping after S seconds without a frame from the client,
                                                  close when the pong is not back S/2 later)
  /ws/quiet?heartbeat=S                           a WebSocket that sends nothing (heartbeat optional)
  /ws/echo                                        a WebSocket that echoes what it receives
  any /ws/ path ?delay=S                          waits S seconds before answering the upgrade (a slow handshake)
  /http/delay?ms=N                                a plain response after N ms
  /sse?every=S&events=N                           a text/event-stream response with an event every S seconds
  /http/stream?chunk=N&burst=N&every=S&seconds=S  a plain streaming response of random bytes
"""

import asyncio
import json
import os
import signal
import sys
import time

from aiohttp import WSMsgType, web


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def number(request, name, default):
    value = request.query.get(name)
    return float(value) if value is not None else default


async def ws_session(request, heartbeat, sender):
    delay = number(request, "delay", 0.0)
    if delay > 0:
        await asyncio.sleep(delay)
    ws = web.WebSocketResponse(heartbeat=heartbeat, max_msg_size=0)
    await ws.prepare(request)
    started = time.monotonic()
    task = asyncio.create_task(sender(ws)) if sender else None
    reason = "client-closed"
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and ws.closed is False and request.path == "/ws/echo":
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY and request.path == "/ws/echo":
                await ws.send_bytes(msg.data)
            elif msg.type == WSMsgType.ERROR:
                reason = "error"
    except Exception:  # noqa: BLE001 - the session's end is reported below, whatever ended it
        reason = "error"
    finally:
        if task:
            task.cancel()
        exc = ws.exception()
        if exc is not None and "PONG" in str(exc):
            reason = "heartbeat-timeout"
        emit({
            "event": "ws-closed",
            "path": request.path,
            "seconds": round(time.monotonic() - started, 3),
            "reason": reason,
            "code": ws.close_code,
            "bytesSent": getattr(ws, "bytes_sent", 0),
        })
    return ws


async def ws_stream(request):
    chunk = int(number(request, "chunk", 16384))
    burst = int(number(request, "burst", 65536))
    every = number(request, "every", 0.0)
    # Random bytes: browsers and the lab's clients negotiate permessage-deflate, which would shrink a repeated byte
    # to nothing on the wire.
    payload = os.urandom(chunk)

    async def sender(ws):
        try:
            while not ws.closed:
                sent = 0
                while sent < burst and not ws.closed:
                    await ws.send_bytes(payload)
                    sent += chunk
                    ws.bytes_sent = getattr(ws, "bytes_sent", 0) + chunk
                    # A real server yields between messages; without it, a send that never blocks starves the
                    # receive loop and the heartbeat's pong is never read.
                    await asyncio.sleep(0)
                await asyncio.sleep(every)
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            return

    return await ws_session(request, number(request, "heartbeat", None), sender)


async def ws_quiet(request):
    return await ws_session(request, number(request, "heartbeat", None), None)


async def ws_echo(request):
    return await ws_session(request, None, None)


async def http_delay(request):
    await asyncio.sleep(number(request, "ms", 0) / 1000)
    return web.Response(text="ok\n")


async def http_stream(request):
    """A plain streaming response: `burst` random bytes in `chunk`-sized writes every `every` seconds, for `seconds`."""
    chunk = int(number(request, "chunk", 65536))
    burst = int(number(request, "burst", 1048576))
    every = number(request, "every", 0.1)
    seconds = number(request, "seconds", 10.0)
    payload = os.urandom(chunk)
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    await response.prepare(request)
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            sent = 0
            while sent < burst:
                await response.write(payload)
                sent += chunk
            await asyncio.sleep(every)
        await response.write_eof()
    except (ConnectionError, RuntimeError):
        pass
    return response


async def sse(request):
    every = number(request, "every", 1.0)
    events = int(number(request, "events", 1000000))
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    for i in range(events):
        await response.write(f"data: {i}\n\n".encode())
        await asyncio.sleep(every)
    await response.write_eof()
    return response


async def tcp_echo(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    app = web.Application()
    app.router.add_get("/ws/stream", ws_stream)
    app.router.add_get("/ws/quiet", ws_quiet)
    app.router.add_get("/ws/echo", ws_echo)
    app.router.add_get("/http/delay", http_delay)
    app.router.add_get("/sse", sse)
    app.router.add_get("/http/stream", http_stream)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    http_port = site._server.sockets[0].getsockname()[1]
    tcp = await asyncio.start_server(tcp_echo, "127.0.0.1", 0)
    tcp_port = tcp.sockets[0].getsockname()[1]
    emit({"http": http_port, "tcp": tcp_port})

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.buffer.read1(1) else None)
    await stop.wait()
    tcp.close()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
