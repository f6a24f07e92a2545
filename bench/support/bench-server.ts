import { createInterface } from 'node:readline';
import type { INestApplication } from '@nestjs/common';

/**
 * Serves a bench app's process: listens on a free port of 127.0.0.1 and prints it, then answers each line on stdin
 * with the CPU time this process has used so far (µs, user + system), for the cost per request, or with what
 * `answer` gives for the line; closing stdin closes the app and ends the process.
 */
export async function serveBenchApp(
  app: INestApplication,
  answer?: (line: string) => string | undefined,
): Promise<void> {
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`${(app.getHttpServer().address() as { port: number }).port}\n`);
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      const { user, system } = process.cpuUsage();
      process.stdout.write(`${answer?.(line) ?? user + system}\n`);
    })
    .on('close', () => void app.close().then(() => process.exit(0)));
}
