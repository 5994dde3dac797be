import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Construct } from "../cdktf.ts";

/** The FileProcessingLog table: one row per uploaded object, keyed by `file_key`. */
export class FileLogTable extends Construct {
  readonly table: DynamodbTable;

  constructor(
    scope: Construct,
    id: string,
    props: { readonly name: string; readonly deletionProtection: boolean },
  ) {
    super(scope, id);
    this.table = new DynamodbTable(this, "table", {
      name: props.name,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "file_key",
      attribute: [{ name: "file_key", type: "S" }],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: props.deletionProtection,
    });
  }
}
