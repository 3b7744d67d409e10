"""Block Kit, built by pure functions from workflow value objects (one module per feature).

Every builder goes through ``slack_sdk.models`` so Slack's own limits are checked when the
blocks are serialised, and through ``fit_message``/``fit_view`` so a long answer paginates or
says what it left out instead of being refused by Slack.
"""
