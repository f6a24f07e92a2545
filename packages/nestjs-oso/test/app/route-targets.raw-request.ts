import { connect } from 'node:net';

/** A response read off the socket: status, lower-case headers and body. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one request with the request target exactly as given (absolute form, `#`, `%`, dot segments...), which
 * supertest and `http.request` would normalize or refuse, and reads the whole response.
 */
export function sendRaw(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const head = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(`${head.join('\r\n')}\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, headEnd === -1 ? text.length : headEnd).split('\r\n');
      const response: RawResponse = {
        status: Number(statusLine.split(' ')[1]),
        headers: {},
        body: headEnd === -1 ? '' : text.slice(headEnd + 4),
      };
      for (const line of lines) {
        const colon = line.indexOf(':');
        response.headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve(response);
    });
  });
}
