// The agent dials a plain mqtt:// master over a bare TCP socket (no ws/socks transports loaded).
import { afterEach, describe, expect, it } from 'vitest';
import { plainTcp } from '../../src/agent/link.js';

describe('plainTcp', () => {
  const saved = process.env.MQTTJS_SOCKS_PROXY;
  afterEach(() => {
    if (saved === undefined) delete process.env.MQTTJS_SOCKS_PROXY;
    else process.env.MQTTJS_SOCKS_PROXY = saved;
  });

  it('takes host and port from mqtt:// and tcp:// URLs, with 1883 by default', () => {
    delete process.env.MQTTJS_SOCKS_PROXY;
    expect(plainTcp('mqtt://192.168.1.2:1884')).toEqual({ host: '192.168.1.2', port: 1884 });
    expect(plainTcp('tcp://gateway.local')).toEqual({ host: 'gateway.local', port: 1883 });
    expect(plainTcp('mqtt://[::1]:1883')).toEqual({ host: '::1', port: 1883 });
  });

  it('leaves TLS, WebSocket and proxied connections to mqtt.connect', () => {
    delete process.env.MQTTJS_SOCKS_PROXY;
    expect(plainTcp('mqtts://gateway.local:8883')).toBeUndefined();
    expect(plainTcp('wss://gateway.local/mqtt')).toBeUndefined();
    expect(plainTcp('not a url')).toBeUndefined();
    process.env.MQTTJS_SOCKS_PROXY = 'socks5://proxy:1080';
    expect(plainTcp('mqtt://gateway.local')).toBeUndefined();
  });
});
