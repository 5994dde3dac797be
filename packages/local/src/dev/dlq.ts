import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { MotoClientConfig } from "../gateway/moto-link.ts";
import type { Routing } from "../gateway/routing.ts";
import { functionNameFromArn } from "../identity.ts";
import { UnknownNameError } from "../names.ts";
import type { DeadLetter, InvocationRecord } from "../runtime/dead-letters.ts";

/** How one redriven dead letter ended. */
export interface Redriven {
  readonly id: string;
  readonly functionName: string;
  readonly status: "succeeded" | "failed";
  /** The invocation's error, when it failed again. */
  readonly error?: unknown;
}

/** Long enough to invoke a function and settle its message; a failure hands it back at once. */
const REDRIVE_VISIBILITY_SECONDS = 900;
/** Listing receives each message once, then hands them all back. */
const LIST_VISIBILITY_SECONDS = 30;

/**
 * The dead letters of a running local stack: the invocation records Lambda's on-failure
 * destination sent to the stack's real SQS queues in moto (what `pnpm dlq` lists and redrives
 * under `pnpm dev`). Redrive re-invokes the function with each record's `requestPayload` and
 * deletes the message only once that invocation succeeds; a failure leaves it in the queue.
 */
export class StackDeadLetters {
  private readonly sqs: SQSClient;
  /**
   * Listing and redriving take turns: a listing hides each message for a moment while it reads the
   * queue, and a redrive made in that moment (the console's page polls, `pnpm dlq redrive` runs)
   * would find the queue empty and redrive nothing.
   */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(moto: MotoClientConfig) {
    this.sqs = new SQSClient(moto);
  }

  /** The stack's on-failure queues (from the functions' async configuration). */
  queues(routing: Routing): string[] {
    const names = routing.runtime.stack.functions.flatMap((fn) =>
      fn.async.onFailure ? [fn.async.onFailure.queueName] : [],
    );
    return [...new Set(names)].sort();
  }

  /** Every dead letter of one queue, or of all; the messages stay in their queues. */
  list(routing: Routing, queueName?: string): Promise<DeadLetter[]> {
    return this.inTurn(() => this.listNow(routing, queueName));
  }

  /** Re-invokes the function of each dead letter of a queue (or only `ids`), synchronously. */
  redrive(routing: Routing, queueName: string, ids?: ReadonlyArray<string>): Promise<Redriven[]> {
    return this.inTurn(() => this.redriveNow(routing, queueName, ids));
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work);
    this.turn = run.catch(() => {});
    return run;
  }

  private async listNow(routing: Routing, queueName?: string): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for (const queue of this.chosen(routing, queueName)) {
      const url = await this.url(queue);
      const messages = await this.receiveAll(url, LIST_VISIBILITY_SECONDS);
      try {
        letters.push(...messages.map((m) => letterOf(queue, m)));
      } finally {
        await this.handBack(url, messages);
      }
    }
    return letters;
  }

  private async redriveNow(
    routing: Routing,
    queueName: string,
    ids?: ReadonlyArray<string>,
  ): Promise<Redriven[]> {
    const [queue = queueName] = this.chosen(routing, queueName);
    const url = await this.url(queue);
    const messages = await this.receiveAll(url, REDRIVE_VISIBILITY_SECONDS);
    const chosen = messages.filter((m) => !ids || ids.includes(m.MessageId ?? ""));
    await this.handBack(
      url,
      messages.filter((m) => !chosen.includes(m)),
    );
    const results: Redriven[] = [];
    const settled = new Set<Message>();
    try {
      for (const message of chosen) {
        results.push(await this.redriveOne(routing, queue, url, message));
        settled.add(message);
      }
    } finally {
      // Whatever was not redriven (an error, a stop part-way) is visible again at once, not hidden
      // for the redrive's visibility timeout.
      await this.handBack(
        url,
        chosen.filter((m) => !settled.has(m)),
      );
    }
    return results;
  }

  /**
   * One dead letter: deleted once its function succeeded, handed back when it failed again or
   * cannot be redriven (a body that is not an invocation record, a function no longer deployed).
   */
  private async redriveOne(
    routing: Routing,
    queue: string,
    url: string,
    message: Message,
  ): Promise<Redriven> {
    const id = message.MessageId ?? "";
    let functionName = "?";
    try {
      const letter = letterOf(queue, message);
      functionName = functionNameFromArn(letter.record.requestContext.functionArn);
      const result = await routing.runtime
        .function(functionName)
        .invoke(letter.record.requestPayload, { origin: "redrive" });
      if (!result.functionError) {
        await this.sqs.send(
          new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }),
        );
        return { id, functionName, status: "succeeded" };
      }
      await this.handBack(url, [message]);
      return { id, functionName, status: "failed", error: result.payload };
    } catch (error) {
      await this.handBack(url, [message]);
      return { id, functionName, status: "failed", error: { errorMessage: (error as Error).message } };
    }
  }

  private chosen(routing: Routing, queueName?: string): string[] {
    const queues = this.queues(routing);
    if (queueName === undefined) return queues;
    if (!queues.includes(queueName)) throw new UnknownNameError("queue", queueName, queues);
    return [queueName];
  }

  private async url(queue: string): Promise<string> {
    return (await this.sqs.send(new GetQueueUrlCommand({ QueueName: queue }))).QueueUrl ?? "";
  }

  /** Receives until the queue has nothing visible left, each message hidden for `visibility` s. */
  private async receiveAll(url: string, visibility: number): Promise<Message[]> {
    const all: Message[] = [];
    for (;;) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: visibility,
          MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
        }),
      );
      if (Messages.length === 0) return all;
      all.push(...Messages);
    }
  }

  /** Makes messages visible again at once. */
  private async handBack(url: string, messages: ReadonlyArray<Message>): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: batch.map((m, n) => ({
            Id: String(n),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }
}

function letterOf(queueName: string, message: Message): DeadLetter {
  const sent = Number(message.Attributes?.SentTimestamp ?? 0);
  let record: InvocationRecord;
  try {
    record = JSON.parse(message.Body ?? "") as InvocationRecord;
  } catch {
    throw new Error(`message ${message.MessageId} in ${queueName} is not JSON: not an invocation record`);
  }
  if (typeof record?.requestContext?.functionArn !== "string")
    throw new Error(
      `message ${message.MessageId} in ${queueName} has no requestContext.functionArn: not an invocation record`,
    );
  return { id: message.MessageId ?? "", queueName, receivedAt: new Date(sent).toISOString(), record };
}
