// A command in a real terminal: a tmux pane on a tmux server of its own. What a person sees,
// and what their Ctrl+C does: the terminal sends SIGINT to the whole foreground process group
// (`deno task` and the script it runs alike).

import { BROKER_URL, ROOT } from "./_helpers.ts";

const decoder = new TextDecoder();

async function tmux(socket: string, ...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("tmux", {
    args: ["-L", socket, ...args],
    stdin: "null",
  }).output();
  if (!success) throw new Error(`tmux ${args[0]} failed: ${decoder.decode(stderr).trim()}`);
  return decoder.decode(stdout);
}

/** A shell command line running in a terminal; dispose of it to end its tmux server. */
export interface Terminal extends AsyncDisposable {
  /** Everything the terminal shows, scrollback included, wrapped lines joined. */
  screen(): Promise<string>;
  /** Resolves with the screen once `pattern` appears on it; rejects after `timeout` ms. */
  waitFor(pattern: RegExp, timeout?: number): Promise<string>;
  /** Types keys, as tmux names them (`C-c` is Ctrl+C). */
  press(...keys: string[]): Promise<void>;
  /** The command's exit status (128 + N if signal N killed it) once it ends; rejects after `timeout` ms. */
  exitCode(timeout?: number): Promise<number>;
}

/**
 * Runs `commandLine` in the repository, with `AMQP_URL` set to the test broker and Deno on the
 * PATH, in a new 200×50 terminal whose pane stays readable after the command ends. The shell
 * that starts it survives a Ctrl+C (`trap : INT`, as an interactive shell does) and prints the
 * command's exit status on the screen once it ends: `[exit 0]`.
 */
export async function openTerminal(commandLine: string): Promise<Terminal> {
  const socket = `deno-test-${crypto.randomUUID().slice(0, 8)}`;
  const config = await Deno.makeTempFile({ suffix: ".tmux.conf" });
  await Deno.writeTextFile(config, "set -g remain-on-exit on\nset -g history-limit 100000\n");
  const denoDir = Deno.execPath().replace(/\/[^/]+$/, "");
  const shellLine = `trap : INT; cd '${ROOT}' && export AMQP_URL='${BROKER_URL}' NO_COLOR=1 ` +
    `PATH='${denoDir}':"$PATH" && ${commandLine}; echo "[exit $?]"`;
  await tmux(
    socket,
    "-f",
    config,
    "new-session",
    "-d",
    "-s",
    "t",
    "-x",
    "200",
    "-y",
    "50",
    shellLine,
  );
  const screen = () => tmux(socket, "capture-pane", "-p", "-J", "-S", "-", "-t", "t");
  const until = async <T>(what: string, timeout: number, check: () => Promise<T | undefined>) => {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const value = await check();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${what} within ${timeout} ms; the terminal shows:\n${await screen()}`);
  };
  return {
    screen,
    waitFor: (pattern, timeout = 15_000) =>
      until(`no ${pattern}`, timeout, async () => {
        const text = await screen();
        return pattern.test(text) ? text : undefined;
      }),
    press: async (...keys) => void await tmux(socket, "send-keys", "-t", "t", ...keys),
    exitCode: (timeout = 15_000) =>
      until("the command did not end", timeout, async () => {
        const status = (await screen()).match(/\[exit (\d+)\]$/m)?.[1];
        return status === undefined ? undefined : Number(status);
      }),
    async [Symbol.asyncDispose]() {
      await tmux(socket, "kill-server").catch(() => {});
      await Deno.remove(config).catch(() => {});
    },
  };
}
