// The typebox-free part of the codec: the payload limit, the error every decoder throws, and
// the encoding. The agent's lean decoders (src/agent/decode.ts) import this instead of codec.ts,
// which loads typebox and the API schemas at module load.

/** Larger payloads are refused before parsing (a full sync of a busy node stays well below). */
export const maxPayloadBytes = 4 * 1024 * 1024;

export class ProtocolError extends Error {
  constructor(message: string, readonly topic: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function encode(message: object): Buffer {
  return Buffer.from(JSON.stringify(message));
}
