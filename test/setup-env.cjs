// Same as bin/ddb-ingest.js: the SDK's Node 20 end-of-support warning is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
