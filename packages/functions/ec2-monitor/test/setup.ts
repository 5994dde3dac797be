// Keep test output readable: functions log at INFO, tests that assert on log lines raise the level.
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
