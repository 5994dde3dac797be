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
