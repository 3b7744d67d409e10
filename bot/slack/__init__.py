"""The Slack app: Bolt listeners, Block Kit builders, middleware, the server, and a local fake Slack API."""
