/**
 * What a baseline rule is and reports: its id and title, and its findings, one per resource.
 */
import { Stack, type StackJson } from "./stack-json.ts";

/** One offending resource, as a rule's check reports it. */
export interface Finding {
  /** Terraform address, e.g. `aws_s3_bucket.uploads_bucket_556152F0`. */
  readonly address: string;
  readonly message: string;
}

export interface Rule {
  /** The checkov ID (e.g. `CKV2_AWS_6`) or, where checkov has no check, a lambdaform one (`LF_…`). */
  readonly id: string;
  /** The checkov ID, when the rule is checkov's (checkov itself is not run). */
  readonly checkov?: string;
  readonly title: string;
  /** At most one finding per resource (its problems joined). */
  readonly check: (stack: StackJson) => Finding[];
}

/** Collects a rule's findings, one per resource. */
class Findings {
  private readonly byAddress = new Map<string, string[]>();

  add(address: string, message: string): void {
    const messages = this.byAddress.get(address) ?? [];
    if (!messages.includes(message)) messages.push(message);
    this.byAddress.set(address, messages);
  }

  list(): Finding[] {
    return [...this.byAddress].map(([address, messages]) => ({ address, message: messages.join("; ") }));
  }
}

export function rule(id: string, title: string, body: (stack: Stack, found: Findings) => void): Rule {
  return {
    id,
    ...(id.startsWith("CKV") ? { checkov: id } : {}),
    title,
    check: (json) => {
      const found = new Findings();
      body(new Stack(json), found);
      return found.list();
    },
  };
}
