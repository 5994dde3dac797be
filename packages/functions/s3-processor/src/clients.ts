import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";

// Built once per execution environment and reused by every invocation (connection reuse).
// Region, credentials and endpoints come from the SDK's standard environment variables.
export const s3 = new S3Client({});
export const dynamodb = new DynamoDBClient({});
