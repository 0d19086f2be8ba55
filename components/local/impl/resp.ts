/**
 * A minimal Redis protocol client for the providers' health checks (AUTH, PING, INFO, SENTINEL):
 * one connection, a few commands, replies as strings. Keeps the provider process free of a full
 * client library's reconnect loops.
 */
import * as net from "node:net";

export type Reply = string | number | null | Reply[];

function encode(args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("");
}

/** Parses one reply at `pos`; returns undefined when the buffer is incomplete. */
function parse(buf: string, pos: number): { value: Reply; next: number; error?: string } | undefined {
  const eol = buf.indexOf("\r\n", pos);
  if (eol < 0) return undefined;
  const type = buf[pos];
  const line = buf.slice(pos + 1, eol);
  switch (type) {
    case "+":
      return { value: line, next: eol + 2 };
    case "-":
      return { value: line, next: eol + 2, error: line };
    case ":":
      return { value: Number(line), next: eol + 2 };
    case "$": {
      const len = Number(line);
      if (len < 0) return { value: null, next: eol + 2 };
      const start = eol + 2;
      // Byte length vs string length: replies we read are ASCII.
      if (buf.length < start + len + 2) return undefined;
      return { value: buf.slice(start, start + len), next: start + len + 2 };
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return { value: null, next: eol + 2 };
      const items: Reply[] = [];
      let next = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected Redis reply: ${JSON.stringify(buf.slice(pos, pos + 40))}`);
  }
}

/** Sends commands in order over one connection; rejects on the first error reply. */
export function redisCommands(port: number, commands: string[][], timeoutMs = 2000): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    let buf = "";
    const replies: Reply[] = [];
    let pos = 0;
    const fail = (err: Error): void => {
      sock.destroy();
      reject(err);
    };
    sock.setTimeout(timeoutMs, () => { fail(new Error(`redis on port ${port}: timeout`)); });
    sock.once("error", fail);
    sock.on("connect", () => sock.write(commands.map(encode).join("")));
    sock.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      try {
        for (;;) {
          const r = parse(buf, pos);
          if (r === undefined) return;
          if (r.error !== undefined) {
            fail(new Error(`redis on port ${port}: ${r.error}`));
            return;
          }
          replies.push(r.value);
          pos = r.next;
          if (replies.length === commands.length) {
            sock.destroy();
            resolve(replies);
            return;
          }
        }
      } catch (err) {
        fail(err as Error);
      }
    });
  });
}

/** `INFO <section>` as a key → value map. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
