// Thresholds that an analyzer and a rule both apply, kept in one place so the finding's severity and the root
// cause's score agree.

/** WebSocket handshakes over HTTP/2 failed at or above this count make websocket-listener-prefers-h2 an error and raise alpn-h2-websocket's score. */
export const MANY_FAILED_HANDSHAKES = 10;
