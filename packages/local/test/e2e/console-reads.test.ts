import { CreateTableCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { type MotoSuite, motoForSuite } from "@lambdaform/testkit";
import { expect } from "chai";
import { ConsoleInputError, ConsoleReads } from "../../src/console/reads.ts";
import { MotoLink } from "../../src/gateway/moto-link.ts";

const TABLE = "FileProcessingLog";
const token = (key: unknown) => Buffer.from(JSON.stringify(key)).toString("base64url");

// The console's Data section pages a table in moto: every row once, across pages, and a page token
// that is not of this table's key answered as bad input (moto itself fails such a scan with a 500).
describe("the console's reads against moto: table rows, paged", function () {
  this.timeout(60_000);
  let suite: MotoSuite | undefined;
  let reads: ConsoleReads;

  before(async function () {
    suite = await motoForSuite(this);
    const config = new MotoLink(suite.moto.endpoint).clientConfig("us-east-1");
    reads = new ConsoleReads(config, () => suite?.moto.endpoint ?? "");
    const dynamodb = new DynamoDBClient(config);
    await dynamodb.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: "file_key", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "file_key", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    for (let n = 0; n < 30; n++)
      await dynamodb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { file_key: { S: `uploads/${n}.txt` }, file_size: { N: String(n) } },
        }),
      );
  });

  after(() => suite?.stop());

  it("shows every row once across its pages of 25", async () => {
    const first = await reads.rows(TABLE);
    expect(first.rows).to.have.length(25);
    expect(first.nextToken).to.be.a("string");
    const second = await reads.rows(TABLE, first.nextToken);
    expect(second.nextToken).to.equal(undefined);
    const keys = [...first.rows, ...second.rows].map((r) => r.file_key);
    expect(new Set(keys).size).to.equal(30);
  });

  it("answers a token of another key, or of the key with another type, as bad input naming token", async () => {
    for (const key of [
      { nope: { S: "x" } },
      { file_key: { N: "1" } },
      { file_key: { S: "a" }, extra: { S: "b" } },
    ])
      await reads.rows(TABLE, token(key)).then(
        () => expect.fail(`a scan from ${JSON.stringify(key)} was made`),
        (error: Error) => {
          expect(error).to.be.instanceOf(ConsoleInputError);
          expect(error.message).to.match(/^token: /);
        },
      );
  });
});
