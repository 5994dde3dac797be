import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { BodyTooLarge, jsonReply, type Reply, readBody } from "../http/reply.ts";
import type { ApiRequest } from "../sources/api-gateway/server.ts";
import { Refused } from "./aws-error.ts";
import { type Signature, signatureOf } from "./classify.ts";
import { decodedContent } from "./content-encoding.ts";
import { bodyLimit, frontDoor, type RouteKind, tooLarge } from "./front-door.ts";

/** The control API's path prefix (`pnpm trigger`, health). */
export const CONTROL_PREFIX = "/_lambdaform/";

/** A request as the gateway read it off the socket. */
export interface GatewayRequest extends ApiRequest {
  readonly headers: IncomingHttpHeaders;
}

/** Where the server sends each kind of request. */
export interface GatewayRoutes {
  /** `/_lambdaform/<path>`: the control API; undefined means no such route (404). */
  control(path: string, request: GatewayRequest): Promise<Reply | undefined>;
  /** Unsigned requests: API Gateway. */
  api(request: GatewayRequest): Promise<Reply>;
  /** SigV4-signed requests: AWS API calls. */
  aws(request: GatewayRequest, signature: Signature): Promise<Reply>;
}

const CONTROL_NOT_FOUND: Reply = {
  status: 404,
  headers: { "content-type": "application/json" },
  body: '{"message":"unknown control route"}',
};

/**
 * The gateway's HTTP server on 127.0.0.1: reads each request once and routes it to the control
 * API, to API Gateway (unsigned) or to the AWS API pipeline (signed).
 */
export class GatewayServer {
  private server?: Server;
  port = 0;

  constructor(
    private readonly routes: GatewayRoutes,
    private readonly log: (line: string) => void,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on 127.0.0.1:port; a port in use is a clear error naming the flag. */
  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((req, res) => {
        this.dispatch(req, res).catch((error: Error) => {
          this.log(`gateway error: ${error.stack ?? error.message}`);
          if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: "lambdaform gateway error", detail: error.message }));
        });
      });
      server.keepAliveTimeout = 65_000;
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "EADDRINUSE"
            ? new Error(
                `Port ${port} on 127.0.0.1 is already in use. Stop what uses it, or choose another with --port <n>.`,
              )
            : error,
        ),
      );
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        this.port = typeof address === "object" && address ? address.port : port;
        this.server = server;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = await this.answer(req).catch((error: unknown) => {
      if (error instanceof Refused) return error.reply;
      throw error;
    });
    res.writeHead(reply.status, reply.headers);
    if (reply.stream) reply.stream(res);
    else res.end(reply.body);
  }

  /**
   * Reads a request once and answers it: the front door first (before the body is read), then the
   * body up to its cap, then the route.
   */
  private async answer(req: IncomingMessage): Promise<Reply> {
    const host = typeof req.headers.host === "string" ? req.headers.host : undefined;
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://127.0.0.1");
    } catch {
      req.resume();
      return jsonReply(400, { message: "the request target is not a URL path" });
    }
    const head = { method: req.method ?? "GET", url, headers: req.headers, rawHeaders: req.rawHeaders };
    const control = url.pathname.startsWith(CONTROL_PREFIX);
    // The front door answers first, even a request whose signature is refused.
    let signature: Signature | undefined;
    let badSignature: Refused | undefined;
    try {
      signature = control ? undefined : signatureOf(head);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      badSignature = error;
    }
    const kind: RouteKind = control ? "control" : signature || badSignature ? "aws" : "api";
    const door = { method: head.method, headers: req.headers, url, host };
    const refused = frontDoor(door, kind, signature?.service) ?? badSignature?.reply;
    if (refused) {
      req.resume();
      return { ...refused, headers: { ...refused.headers, connection: "close" } };
    }
    let body: Buffer;
    try {
      body = await readBody(req, bodyLimit(kind, signature?.service));
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      const reply = tooLarge(kind, signature?.service, error.limit);
      return { ...reply, headers: { ...reply.headers, connection: "close" } };
    }
    // A signed call's body as the service reads it (a gzipped one inflated), read once from here on.
    let headers = req.headers;
    if (signature)
      ({ headers, body } = decodedContent(
        signature.service,
        headers,
        body,
        bodyLimit(kind, signature.service),
      ));
    const remote = req.socket.remoteAddress ?? "127.0.0.1";
    const request: GatewayRequest = {
      ...head,
      headers,
      // API Gateway reads only the path and query, the same under any base; the AWS API reads the
      // host too (an SQS queue URL), so its requests get their URL on the host they named.
      url: kind === "api" ? url : new URL(req.url ?? "/", `http://${host}`),
      host: host ?? "127.0.0.1",
      body,
      sourceIp: remote.startsWith("::ffff:") ? remote.slice(7) : remote,
    };
    if (kind === "control")
      return (
        (await this.routes.control(request.url.pathname.slice(CONTROL_PREFIX.length), request)) ??
        CONTROL_NOT_FOUND
      );
    return signature ? this.routes.aws(request, signature) : this.routes.api(request);
  }
}
