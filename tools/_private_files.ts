// Files only this user can have written: a folder of one's own (0700, owned by us, not a link),
// files made create-new at 0600, and a read that refuses anything another local user could
// have planted or swapped in (a link, a file of theirs, one others may write). What the tools
// keep between runs (`deno task cluster --detach`, then `--stop`) lives here, never in a
// shared folder such as /tmp.

/** A file or folder that is not ours alone: what is wrong with it, in one line. */
export class UntrustedFileError extends Error {
  /**
   * Creates the error.
   * @param path The file or folder.
   * @param why What makes it untrustworthy.
   */
  constructor(readonly path: string, why: string) {
    super(`Refusing ${path}: ${why}`);
    this.name = "UntrustedFileError";
  }
}

/**
 * The per-user folder for what `app` keeps between runs: `$XDG_STATE_HOME/APP`, else
 * `~/.local/state/APP`, made 0700 if missing, and checked: a folder (not a link), ours, closed
 * to everyone else. Needs `--allow-env` for HOME and XDG_STATE_HOME, `--allow-sys=uid`.
 */
export async function stateFolder(app: string): Promise<string> {
  const base = Deno.env.get("XDG_STATE_HOME") || `${Deno.env.get("HOME") ?? ""}/.local/state`;
  if (!base.startsWith("/")) {
    throw new UntrustedFileError(base, "no HOME or XDG_STATE_HOME to keep state in");
  }
  const folder = `${base}/${app}`;
  await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  trusted(folder, await Deno.lstat(folder), "folder");
  return folder;
}

/** Writes `text` to a new file at `path`, 0600; an existing file or link there is an error. */
export async function writeNewFile(path: string, text: string): Promise<void> {
  let file: Deno.FsFile;
  try {
    // createNew is O_CREAT|O_EXCL: it refuses an existing name, a link (even a dangling one)
    // included, so nothing planted there is written through.
    file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new UntrustedFileError(path, "it already exists");
    }
    throw error;
  }
  try {
    const bytes = new TextEncoder().encode(text);
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
  } finally {
    file.close();
  }
}

/**
 * The text of `path` if it is a regular file of ours that nobody else may write or read (not a
 * link, owned by us, mode 0600 or tighter); `undefined` if there is none. Anything else is an
 * {@linkcode UntrustedFileError}. The file checked is the file read: its identity is compared
 * after opening, so it cannot be swapped in between.
 */
export async function readOwnFile(path: string): Promise<string | undefined> {
  let before: Deno.FileInfo;
  try {
    before = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  trusted(path, before, "file");
  using file = await Deno.open(path, { read: true });
  const opened = await file.stat();
  if (opened.ino !== before.ino || opened.dev !== before.dev) {
    throw new UntrustedFileError(path, "it was replaced while being opened");
  }
  let text = "";
  const decoder = new TextDecoder();
  for (let chunk = new Uint8Array(4096), n; (n = await file.read(chunk)) !== null;) {
    text += decoder.decode(chunk.subarray(0, n), { stream: true });
  }
  return text + decoder.decode();
}

/** Throws unless `info` is a `kind` of ours, not a link, closed to group and others. */
function trusted(path: string, info: Deno.FileInfo, kind: "file" | "folder"): void {
  if (info.isSymlink) throw new UntrustedFileError(path, "it is a symbolic link");
  if (kind === "file" ? !info.isFile : !info.isDirectory) {
    throw new UntrustedFileError(path, `it is not a ${kind === "file" ? "regular file" : kind}`);
  }
  if (info.uid !== Deno.uid()) {
    throw new UntrustedFileError(path, `it belongs to another user (uid ${info.uid})`);
  }
  if (((info.mode ?? 0) & 0o077) !== 0) {
    const mode = ((info.mode ?? 0) & 0o777).toString(8);
    throw new UntrustedFileError(
      path,
      `others may use it (mode ${mode}; expected 0${kind === "file" ? "600" : "700"})`,
    );
  }
}
