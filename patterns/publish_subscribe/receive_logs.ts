/**
 * # Publish/subscribe: receive every log message
 *
 * Binds a fresh, exclusive, server-named queue to the fanout exchange `logs`, so this receiver
 * gets a copy of every message emitted from now on; the queue disappears when it stops.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/publish_subscribe/receive_logs.ts
 *
 * @module
 */

import { logReceiver } from "../_logs.ts";

// Output: [x] 'info: Hello World!'
export const main = logReceiver({
  name: "receive_logs.ts",
  usage: `Usage: receive_logs.ts [--exchange NAME] [--url URL] [--raw]

Prints every message sent to a fanout exchange, until Ctrl+C. Control characters in a message
are shown as escapes (\\n, \\x1b); --raw prints them as they are.`,
  kind: "fanout", // a fanout exchange copies each message to every queue bound to it
  exchange: "logs",
});

if (import.meta.main) Deno.exitCode = await main(Deno.args);
