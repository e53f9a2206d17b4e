// Network partitions of a private cluster, on one machine: each node's Erlang distribution has a
// loopback address of its own (127.a.b.11, .12, .13; Linux routes all of 127/8 to `lo`), and a
// firewall table of the cluster's own drops what passes between one node's address and the
// others'. Nothing else is touched: AMQP, the management API, epmd and rabbitmqctl use 127.0.0.1,
// so clients and the CLI still reach the node that is cut off, as they would on its side of a
// real split. Cutting and healing take root (nft); the rest of the cluster does not.

/** Where nft is looked for, in order (the cluster task's --allow-run names each). */
const NFT_PATHS = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"];

/** The first of {@linkcode NFT_PATHS} that is a file, if any. */
export function findNft(): string | undefined {
  return NFT_PATHS.find((candidate) => {
    try {
      return Deno.statSync(candidate).isFile;
    } catch {
      return false;
    }
  });
}

/** Cutting or healing failed: what was missing, in one line. */
export class PartitionError extends Error {
  override name = "PartitionError";
}

/**
 * The distribution addresses of the nodes of cluster `id` (8 hex digits): two octets from the
 * id, so that two clusters on one machine never share an address, or a firewall rule.
 */
export function distAddresses(id: string): string[] {
  const [a, b] = [parseInt(id.slice(0, 2), 16), parseInt(id.slice(2, 4), 16)];
  return [11, 12, 13].map((host) => `127.${a}.${b}.${host}`);
}

/** The nft table of cluster `id`: its one place in the firewall. */
const table = (id: string) => `inet rabbitmq_deno_${id}`;

/**
 * Cuts node `index` of cluster `id` off from the others: the packets between its address and
 * theirs are dropped as they arrive, in both directions, as on a cable cut (not refused: the
 * peers see silence, and decide after `net_ticktime`). Replaces any cut made before.
 */
export async function cutOff(id: string, index: number) {
  const addresses = distAddresses(id);
  const alone = addresses[index]!;
  const others = addresses.filter((_, i) => i !== index).join(", ");
  // Made, emptied and refilled in one transaction: the cut is whole or not at all.
  await nft(
    `add table ${table(id)}
delete table ${table(id)}
table ${table(id)} {
  chain input {
    type filter hook input priority filter; policy accept;
    ip saddr ${alone} ip daddr { ${others} } drop
    ip saddr { ${others} } ip daddr ${alone} drop
  }
}
`,
    `cut node ${index + 1} off`,
  );
}

/** Removes cluster `id`'s cut, if any: the nodes reach each other again. True if there was one. */
export async function heal(id: string): Promise<boolean> {
  const listed = await nft(`list tables\n`, "list the firewall's tables");
  if (!listed.includes(`table ${table(id)}`)) return false;
  await nft(`delete table ${table(id)}\n`, "heal the cut");
  return true;
}

/** Runs an nft script; a missing nft or missing root is one line that says what to do. */
async function nft(script: string, what: string): Promise<string> {
  const path = findNft();
  if (!path) {
    throw new PartitionError(
      `Cannot ${what}: no nft found (${NFT_PATHS.join(", ")}); install nftables`,
    );
  }
  const child = new Deno.Command(path, {
    args: ["-f", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  if (!success) {
    const said = new TextDecoder().decode(stderr).trim().split("\n")[0] ?? "";
    const hint = /not permitted/i.test(said)
      ? ": it takes root, as it changes the firewall (run as root, or with sudo)"
      : `: nft says ${said}`;
    throw new PartitionError(`Cannot ${what}${hint}`);
  }
  return new TextDecoder().decode(stdout);
}
