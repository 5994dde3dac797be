import { expect } from "chai";
import {
  inTerminalForeground,
  parseProcStat,
  pnpmProcessGroup,
  startInterruptRelay,
} from "../../../src/dev/interrupt-relay.ts";

// /proc/<pid>/stat after the command: state ppid pgrp session tty_nr tpgid …
const stat = (ppid: number, pgrp: number, session: number, tpgid: number) =>
  `4242 (node (lambdaform)) S ${ppid} ${pgrp} ${session} 34816 ${tpgid} 4194304 1 0`;

describe("the interrupt relay (SIGINT from a script to pnpm's process group)", () => {
  it("reads a process's group, session and terminal foreground group, whatever its command name holds", () => {
    expect(parseProcStat(stat(10, 20, 30, 20))).to.deep.equal({ ppid: 10, pgrp: 20, session: 30, tpgid: 20 });
    expect(parseProcStat(stat(10, 20, 30, -1)).tpgid).to.equal(-1);
  });

  it("knows a process in its terminal's foreground (tmux, a terminal tab) from one without a terminal", () => {
    expect(inTerminalForeground(parseProcStat(stat(10, 20, 20, 20)))).to.equal(true);
    expect(inTerminalForeground(parseProcStat(stat(10, 20, 30, -1)))).to.equal(false);
    // A background job of an interactive shell: a terminal, but another group in front.
    expect(inTerminalForeground(parseProcStat(stat(10, 20, 30, 25)))).to.equal(false);
  });

  it("finds pnpm's process group: the nearest ancestor's group other than ours, in our session", () => {
    const table: Record<string, string> = {
      self: stat(100, 300, 1, -1),
      "100": stat(50, 300, 1, -1),
      "50": stat(1, 200, 1, -1),
    };
    expect(pnpmProcessGroup((pid) => parseProcStat(table[String(pid)] ?? ""))).to.equal(200);
  });

  it("says nothing and relays nothing in a terminal's foreground, where Ctrl-C reaches pnpm dev as it is", async () => {
    // Prepare: pnpm in a terminal (tmux): the script in the terminal's foreground group.
    const lines: string[] = [];
    const relay = startInterruptRelay({
      log: (line) => lines.push(line),
      env: { npm_lifecycle_event: "dev", npm_config_user_agent: "pnpm/12.24.0 node/v20.20.2 linux x64" },
      read: () => parseProcStat(stat(10, 20, 20, 20)),
    });
    // Act: the relay starts on the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    relay.stop();
    // Assess
    expect(lines).to.deep.equal([]);
  });

  it("says once why a script's SIGINT will not reach pnpm dev when it cannot relay (no terminal, no pnpm group)", async () => {
    const lines: string[] = [];
    const relay = startInterruptRelay({
      log: (line) => lines.push(line),
      env: { npm_lifecycle_event: "dev", npm_config_user_agent: "pnpm/12.24.0 node/v20.20.2 linux x64" },
      // No terminal; every ancestor in our own group.
      read: () => parseProcStat(stat(1, 20, 20, -1)),
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    relay.stop();
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      /^lambdaform: note: SIGINT from a script to pnpm's process group will not reach pnpm dev \(no ancestor/,
    );
  });
});
