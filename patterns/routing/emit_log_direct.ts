/**
 * # Routing: emit a log message with a severity
 *
 * Publishes to the direct exchange `direct_logs` with the severity as routing key: only queues
 * bound with exactly that key receive it.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/routing/emit_log_direct.ts error "Disk full"
 *
 * @module
 */

import { logEmitter } from "../_logs.ts";

// Output: [x] Sent 'error':'Disk full'
export const main = logEmitter({
  name: "emit_log_direct.ts",
  usage: `Usage: emit_log_direct.ts [--exchange NAME] [--url URL] SEVERITY [MESSAGE...]

Sends MESSAGE (default "Hello World!") with routing key SEVERITY (info, warning, error, ...).`,
  kind: "direct", // a direct exchange routes by the exact routing key
  exchange: "direct_logs",
  keys: { name: "SEVERITY", example: 'error "Disk full"' },
}, "Hello World!");

if (import.meta.main) Deno.exitCode = await main(Deno.args);
