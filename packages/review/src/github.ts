import { marker } from "./render.ts";

export interface StickyCommentOptions {
  readonly repo: string;
  readonly pr: number;
  readonly stack: string;
  readonly body: string;
  readonly token: string;
  /** The GitHub API root (GITHUB_API_URL in Actions). */
  readonly api?: string;
}

/**
 * Posts a stack's review comment, or updates the one posted before (found by its hidden marker):
 * one sticky comment per stack, never re-posted. The token is sent only in the Authorization header.
 */
export async function upsertComment(
  options: StickyCommentOptions,
): Promise<{ action: "created" | "updated"; id: number }> {
  const api = options.api ?? "https://api.github.com";
  const headers = {
    authorization: `Bearer ${options.token}`,
    accept: "application/vnd.github+json",
    "content-type": "application/json",
    "x-github-api-version": "2022-11-28",
  };
  const tag = marker(options.stack);
  for (let page = 1; page < 50; page++) {
    const response = await fetch(
      `${api}/repos/${options.repo}/issues/${options.pr}/comments?per_page=100&page=${page}`,
      { headers },
    );
    if (!response.ok) throw new Error(`listing comments failed: HTTP ${response.status}`);
    const comments = (await response.json()) as Array<{ id: number; body?: string }>;
    const mine = comments.find((c) => c.body?.includes(tag));
    if (mine) {
      const update = await fetch(`${api}/repos/${options.repo}/issues/comments/${mine.id}`, {
        method: "PATCH",
        headers,
        body: JSON.stringify({ body: options.body }),
      });
      if (!update.ok) throw new Error(`updating comment ${mine.id} failed: HTTP ${update.status}`);
      return { action: "updated", id: mine.id };
    }
    if (comments.length < 100) break;
  }
  const create = await fetch(`${api}/repos/${options.repo}/issues/${options.pr}/comments`, {
    method: "POST",
    headers,
    body: JSON.stringify({ body: options.body }),
  });
  if (!create.ok) throw new Error(`creating the comment failed: HTTP ${create.status}`);
  return { action: "created", id: ((await create.json()) as { id: number }).id };
}

export interface LabelOptions {
  readonly repo: string;
  readonly pr: number;
  readonly token: string;
  readonly api?: string;
}

/**
 * Sets the pull request's `plan:*` labels to what its review comments ask for together (each stack's
 * comment records its labels in a hidden line, so one stack's job does not undo another's):
 * `plan:no-changes` only when no stack changes anything. Idempotent: a label already set is not set
 * again, and only `plan:*` labels that no comment asks for are removed.
 */
export async function syncLabels(options: LabelOptions): Promise<{ added: string[]; removed: string[] }> {
  const api = options.api ?? "https://api.github.com";
  const headers = {
    authorization: `Bearer ${options.token}`,
    accept: "application/vnd.github+json",
    "content-type": "application/json",
    "x-github-api-version": "2022-11-28",
  };
  const wanted = new Set<string>();
  for (let page = 1; page < 50; page++) {
    const response = await fetch(
      `${api}/repos/${options.repo}/issues/${options.pr}/comments?per_page=100&page=${page}`,
      { headers },
    );
    if (!response.ok) throw new Error(`listing comments failed: HTTP ${response.status}`);
    const comments = (await response.json()) as Array<{ body?: string }>;
    for (const c of comments) {
      if (!c.body?.includes("<!-- lambdaform-review:")) continue;
      const labels = /<!-- lambdaform-labels:([^>]*) -->/.exec(c.body)?.[1] ?? "";
      for (const label of labels.split(",")) if (label) wanted.add(label);
    }
    if (comments.length < 100) break;
  }
  if ([...wanted].some((l) => l !== "plan:no-changes")) wanted.delete("plan:no-changes");
  const current = await fetch(`${api}/repos/${options.repo}/issues/${options.pr}/labels?per_page=100`, {
    headers,
  });
  if (!current.ok) throw new Error(`listing labels failed: HTTP ${current.status}`);
  const have = new Set(((await current.json()) as Array<{ name: string }>).map((l) => l.name));
  const added = [...wanted].filter((l) => !have.has(l)).sort();
  const removed = [...have].filter((l) => l.startsWith("plan:") && !wanted.has(l)).sort();
  if (added.length > 0) {
    const response = await fetch(`${api}/repos/${options.repo}/issues/${options.pr}/labels`, {
      method: "POST",
      headers,
      body: JSON.stringify({ labels: added }),
    });
    if (!response.ok) throw new Error(`adding labels ${added.join(", ")} failed: HTTP ${response.status}`);
  }
  for (const label of removed) {
    const response = await fetch(
      `${api}/repos/${options.repo}/issues/${options.pr}/labels/${encodeURIComponent(label)}`,
      { method: "DELETE", headers },
    );
    if (!response.ok && response.status !== 404)
      throw new Error(`removing label ${label} failed: HTTP ${response.status}`);
  }
  return { added, removed };
}
