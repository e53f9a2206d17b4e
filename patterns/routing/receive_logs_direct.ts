/**
 * # Routing: receive log messages of chosen severities
 *
 * Binds a fresh exclusive queue to the direct exchange `direct_logs` once per severity given, so
 * it receives exactly the messages whose routing key is one of them.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/routing/receive_logs_direct.ts warning error
 *
 * @module
 */

import { logReceiver } from "../_logs.ts";

// Output: [x] error:'Disk full'
export const main = logReceiver({
  name: "receive_logs_direct.ts",
  usage: `Usage: receive_logs_direct.ts [--exchange NAME] [--url URL] [--raw] SEVERITY...

Prints messages sent with any of the given severities (info, warning, error, ...), until Ctrl+C.
Control characters in a message are shown as escapes (\\n, \\x1b); --raw prints them as they are.`,
  kind: "direct", // a direct exchange routes by the exact routing key
  exchange: "direct_logs",
  keys: { name: "SEVERITY", example: "info warning error" },
});

if (import.meta.main) Deno.exitCode = await main(Deno.args);
