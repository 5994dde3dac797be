// The hardware ceiling for the GET /hello measurement: a bare node:http server answering a fixed
// response (the stack's own /hello answer, headers and body) with no API Gateway, no Lambda runtime.
// Run as a child process so its CPU and memory are its own; prints its port when listening.
import { createServer } from "node:http";

const { status, headers, body } = JSON.parse(process.argv[2]);
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(status, headers);
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
