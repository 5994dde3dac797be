import { refuse } from "./aws-error.ts";

/**
 * What IAM checks for a DynamoDB call, per table: each table of a batch, and for a transaction
 * the item action of each of its items (the Service Authorization Reference's dependent actions).
 * PartiQL statements name their tables in SQL; those stay unrecognised.
 */
export function dynamodbChecks(
  name: string,
  body: Record<string, unknown>,
  tableArn: string,
): Array<{ action: string; resource: string }> {
  const table = (value: unknown) => `${tableArn}${String(value)}`;
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  const invalid = (what: string): never => refuse("json", "ValidationException", what);
  const items = body.TransactItems === undefined ? [] : body.TransactItems;
  if (!Array.isArray(items) || !items.every(isObject)) invalid("TransactItems must be a list of objects");
  switch (name) {
    case "BatchGetItem":
    case "BatchWriteItem": {
      if (!isObject(body.RequestItems)) invalid("RequestItems must be a map of table names");
      return Object.keys(body.RequestItems as object).map((t) => ({ action: name, resource: table(t) }));
    }
    case "TransactGetItems":
      return (items as Array<Record<string, unknown>>).map((item) => {
        if (!isObject(item.Get)) invalid("each TransactItems entry needs a Get");
        return { action: "GetItem", resource: table((item.Get as Record<string, unknown>).TableName) };
      });
    case "TransactWriteItems": {
      const kinds: Record<string, string> = {
        Put: "PutItem",
        Update: "UpdateItem",
        Delete: "DeleteItem",
        ConditionCheck: "ConditionCheckItem",
      };
      return (items as Array<Record<string, unknown>>).flatMap((item) =>
        Object.entries(item).map(([kind, spec]) => {
          if (!Object.hasOwn(kinds, kind) || !isObject(spec))
            invalid(`a TransactItems entry has no ${Object.keys(kinds).join(", ")} object`);
          return { action: kinds[kind] ?? "", resource: table((spec as Record<string, unknown>).TableName) };
        }),
      );
    }
    default: {
      if (typeof body.TableName === "string")
        return [
          {
            action: name,
            resource: `${table(body.TableName)}${typeof body.IndexName === "string" ? `/index/${body.IndexName}` : ""}`,
          },
        ];
      if (typeof body.ResourceArn === "string") return [{ action: name, resource: body.ResourceArn }];
      return [{ action: name, resource: "*" }];
    }
  }
}
